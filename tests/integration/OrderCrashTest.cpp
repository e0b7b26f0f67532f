// The order saga survives its host being killed (SIGKILL) at three points:
// once the stock is reserved, once the payment is charged, and inside the
// parallel branch (the confirmation sent while the carrier is still booking
// the shipment). After a restart every order reaches a final status, each
// charge happened at most once and was refunded exactly when its order failed
// after paying, and stock, reservations and shipped quantities balance.
#include "support/OrdersHost.hpp"

using namespace itest;
using namespace std::chrono_literals;

namespace {

struct CrashPoint {
  const char* name;
  std::set<std::string> statuses; // the order has got this far when the host dies
  bool confirmation;              // ... and its confirmation was sent
};

} // namespace

TEST_CASE("orders killed mid-saga at three points end final, charged at most once, with the stock balanced",
          "[order-fulfillment][order-crash]") {
  // The carrier's booking takes a while, so the parallel branch is open long
  // enough to kill the host inside it.
  OrdersHost shop(std::map<std::string, std::string>{{"CRM_PLUGIN_SHIPPING_BOOKING_DELAY_MS", "1500"}});
  const std::string sku = shop.product(20);
  const std::string customer = shop.customer(shop.seller());

  const std::vector<CrashPoint> points{{"after the reservation", {"RESERVED"}, false},
                                       {"after the charge", {"PAID"}, false},
                                       {"inside the parallel branch", {"PAID"}, true}};
  std::vector<std::string> ids;
  for (const auto& point : points) {
    INFO("crash point: " << point.name);
    // One order that will ship, one whose payment is declined after its
    // reservation (it fails and is compensated across the restart).
    const std::string ok = shop.place(shop.seller(), customer, sku, 2);
    const std::string declined = shop.place(shop.seller(), customer, sku, 1, "tok_decline");
    ids.push_back(ok);
    ids.push_back(declined);
    auto reached = [&] {
      auto o = shop.order(ok);
      if (!point.statuses.count(text_of(o, "status"))) return false;
      return !point.confirmation ||
             shop.sql().count("select count(*) from analytics.notifications where kind = 'ORDER_CONFIRMED' and "
                              "resource_id = $1",
                              {ok}) == 1;
    };
    REQUIRE(eventually(reached, 30s, 5ms));
    shop.host().process().kill();
    REQUIRE(shop.host().process().wait_for_exit(10s));
    shop.host().start();
  }

  for (const auto& id : ids) {
    auto o = shop.wait_for(id, {"SHIPPED", "FAILED", "CANCELLED"}, 60s);
    INFO(json_of(*o));
    shop.require_settled(id);
  }
  for (size_t i = 0; i < ids.size(); i += 2) {
    CHECK(text_of(shop.order(ids[i]), "status") == "SHIPPED");
    CHECK(text_of(shop.order(ids[i + 1]), "failureReason") == "PAYMENT_DECLINED");
  }
  CHECK(shop.available(sku) == 20 - 3 * 2);
  shop.require_balanced(sku);
}
