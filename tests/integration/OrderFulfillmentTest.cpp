// The shop end to end: orders placed through REST run the shipped
// order_fulfillment saga across the inventory, payments, orders and shipping
// plugins, against the real servers. Each outcome of the contract (SHIPPED
// and DELIVERED, OUT_OF_STOCK, PAYMENT_DECLINED, PAYMENT_UNAVAILABLE,
// CANCELLED) is reached, and afterwards no order holds stock or an
// uncompensated charge; 64 buyers racing for the last 10 units get exactly 10.
#include "support/OrdersHost.hpp"
#include "support/StreamClient.hpp"

#include <atomic>
#include <future>
#include <thread>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The notifications of `who` of `kind` about order `id`.
long long notifications(OrdersHost& shop, const Account& who, const std::string& kind, const std::string& id) {
  return shop.sql().count(
      "select count(*) from analytics.notifications where user_id = $1 and kind = $2 and resource_id = $3",
      {who.id, kind, id});
}

} // namespace

TEST_CASE("an order paid with tok_ok is reserved, charged, confirmed and shipped, then delivered",
          "[order-fulfillment]") {
  OrdersHost shop;
  const std::string sku = shop.product(5, "29.99");
  const std::string customer = shop.customer(shop.seller());
  const std::string id = shop.place(shop.seller(), customer, sku, 2);

  auto shipped = shop.wait_for(id, {"SHIPPED", "FAILED", "CANCELLED"});
  REQUIRE(text_of(shipped, "status") == "SHIPPED");
  CHECK(OrdersHost::timeline_of(shipped) == "PENDING RESERVED PAID SHIPPED");
  CHECK(text_of(shipped, "total") == "59.98");
  CHECK(text_of(shipped->getObject("payment"), "status") == "CHARGED");
  CHECK_FALSE(text_of(shipped->getObject("payment"), "chargeId").empty());
  const std::string tracking = text_of(shipped->getObject("shipment"), "trackingNumber");
  CHECK_FALSE(tracking.empty());
  CHECK(shop.available(sku) == 3);
  CHECK(shop.ledger(id) == std::multiset<std::string>{"CHARGE"});
  // The seller owns the customer: it hears of the shipment, and of the
  // confirmation since it placed the order.
  CHECK(eventually([&] { return notifications(shop, shop.seller(), "ORDER_SHIPPED", id) == 1; }, 10s));
  CHECK(notifications(shop, shop.seller(), "ORDER_CONFIRMED", id) == 1);

  // A WebSocket on the order: its state, then the delivery live, then the
  // stream ends (DELIVERED is final).
  StreamClient ws(shop.host().port(), shop.seller().access_token, StreamClient::TokenVia::Query,
                  "/api/orders/" + id + "/stream");
  auto state = ws.next(10s);
  REQUIRE(state);
  CHECK(text_of(*state, "event") == "order");
  CHECK(text_of((*state)->getObject("data"), "status") == "SHIPPED");

  shop.ok(shop.admin(), "POST", "/api/shipments/" + tracking + "/delivered", "{}");
  auto live = ws.next(10s);
  REQUIRE(live);
  CHECK(text_of(*live, "event") == "order.status_changed");
  CHECK(text_of((*live)->getObject("data"), "status") == "DELIVERED");
  CHECK_FALSE(ws.next(10s));
  CHECK(ws.closed());
  CHECK(ws.close_code() == 1000);
  auto delivered = shop.wait_for(id, {"DELIVERED"});
  CHECK(OrdersHost::timeline_of(delivered) == "PENDING RESERVED PAID SHIPPED DELIVERED");
  shop.require_settled(id);
  shop.require_balanced(sku);
}

TEST_CASE("an order for more than the stock fails with OUT_OF_STOCK and holds nothing", "[order-fulfillment]") {
  OrdersHost shop;
  const std::string sku = shop.product(3);
  const std::string id = shop.place(shop.seller(), shop.customer(shop.seller()), sku, 4);
  auto failed = shop.wait_for(id, final_order_statuses());
  CHECK(text_of(failed, "status") == "FAILED");
  CHECK(text_of(failed, "failureReason") == "OUT_OF_STOCK");
  CHECK(shop.available(sku) == 3);
  CHECK(shop.ledger(id).empty());
  CHECK(eventually([&] { return notifications(shop, shop.seller(), "ORDER_FAILED", id) == 1; }, 10s));
  shop.require_settled(id);
  shop.require_balanced(sku);
}

TEST_CASE("a declined payment releases the stock and fails the order with PAYMENT_DECLINED, without retries",
          "[order-fulfillment]") {
  OrdersHost shop;
  const std::string sku = shop.product(5);
  const std::string id = shop.place(shop.seller(), shop.customer(shop.seller()), sku, 2, "tok_decline");
  auto failed = shop.wait_for(id, final_order_statuses());
  CHECK(text_of(failed, "status") == "FAILED");
  CHECK(text_of(failed, "failureReason") == "PAYMENT_DECLINED");
  CHECK(OrdersHost::timeline_of(failed) == "PENDING RESERVED FAILED");
  CHECK(shop.available(sku) == 5);
  CHECK(shop.ledger(id).count("CHARGE") == 0);
  // Declines are answers, not faults: the charge was tried once.
  CHECK(shop.sql().count("select count(*) from platform.workflow_steps s join platform.workflow_instances i "
                         "on i.id = s.instance_id where i.name = 'order_fulfillment' and i.input::text like "
                         "'%' || $1 || '%' and s.name = 'charge' and s.phase = 'forward'",
                         {id}) == 1);
  shop.require_settled(id);
  shop.require_balanced(sku);
}

TEST_CASE("a provider that keeps timing out is retried with backoff, then the order fails with PAYMENT_UNAVAILABLE",
          "[order-fulfillment]") {
  OrdersHost shop;
  const std::string sku = shop.product(5);
  const std::string id = shop.place(shop.seller(), shop.customer(shop.seller()), sku, 1, "tok_slow");
  auto failed = shop.wait_for(id, final_order_statuses(), 60s);
  CHECK(text_of(failed, "status") == "FAILED");
  CHECK(text_of(failed, "failureReason") == "PAYMENT_UNAVAILABLE");
  // Tried by the workflow's policy, four times, before it gave up.
  CHECK(shop.sql().count("select count(*) from platform.workflow_steps s join platform.workflow_instances i "
                         "on i.id = s.instance_id where i.name = 'order_fulfillment' and i.input::text like "
                         "'%' || $1 || '%' and s.name = 'charge' and s.phase = 'forward'",
                         {id}) == 4);
  CHECK(shop.available(sku) == 5);
  shop.require_settled(id);
  shop.require_balanced(sku);
}

TEST_CASE("cancelling an order before it ships refunds the charge and releases the stock, after it ships is 409",
          "[order-fulfillment]") {
  // The carrier takes its time booking the shipment, so the order waits PAID.
  OrdersHost shop(std::map<std::string, std::string>{{"CRM_PLUGIN_SHIPPING_BOOKING_DELAY_MS", "3000"}});
  const std::string sku = shop.product(5);
  const std::string customer = shop.customer(shop.seller());
  const std::string id = shop.place(shop.seller(), customer, sku, 2);
  shop.wait_for(id, {"PAID"});
  auto r = shop.as(shop.seller(), "POST", "/api/orders/" + id + "/cancel", "{}");
  INFO(r.body);
  REQUIRE(r.status == 202);
  auto cancelled = shop.wait_for(id, final_order_statuses());
  CHECK(text_of(cancelled, "status") == "CANCELLED");
  CHECK(shop.available(sku) == 5);
  CHECK(shop.ledger(id) == std::multiset<std::string>{"CHARGE", "REFUND"});
  CHECK(eventually([&] { return text_of(shop.order(id)->getObject("payment"), "status") == "REFUNDED"; }, 10s));
  shop.require_settled(id);
  shop.require_balanced(sku);

  // Once an order has shipped it can no longer be cancelled.
  OrdersHost fast;
  const std::string sku2 = fast.product(5);
  const std::string shipped = fast.place(fast.seller(), fast.customer(fast.seller()), sku2, 1);
  fast.wait_for(shipped, {"SHIPPED"});
  require_problem(fast.as(fast.seller(), "POST", "/api/orders/" + shipped + "/cancel", "{}"), 409);
}

TEST_CASE("64 concurrent buyers of the last 10 units: exactly 10 orders ship and 54 fail with OUT_OF_STOCK",
          "[order-fulfillment]") {
  OrdersHost shop;
  const std::string sku = shop.product(10);
  const std::string customer = shop.customer(shop.seller());
  const int port = shop.host().port();
  const std::string token = shop.seller().access_token;
  const std::string body = OrdersHost::order_body(customer, sku, 1);

  std::vector<std::future<std::string>> buyers;
  std::atomic<int> ready{0};
  for (int i = 0; i < 64; ++i)
    buyers.push_back(std::async(std::launch::async, [&] {
      Http http(port);
      ++ready;
      while (ready.load() < 64) std::this_thread::yield();
      auto r = http.request("POST", "/api/orders", body,
                            {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}});
      return r.status == 201 ? text_of(r.json(), "id") : std::string("status " + std::to_string(r.status) + r.body);
    }));
  std::vector<std::string> ids;
  for (auto& b : buyers) ids.push_back(b.get());
  for (const auto& id : ids) REQUIRE(id.size() == 36);

  int shipped = 0, out_of_stock = 0;
  for (const auto& id : ids) {
    auto o = shop.wait_for(id, {"SHIPPED", "FAILED", "CANCELLED"}, 120s);
    if (text_of(o, "status") == "SHIPPED") ++shipped;
    if (text_of(o, "failureReason") == "OUT_OF_STOCK") ++out_of_stock;
  }
  CHECK(shipped == 10);
  CHECK(out_of_stock == 54);
  CHECK(shop.available(sku) == 0);
  CHECK(shop.sql().count("select count(*) from inventory.reservations where status = 'RESERVED'") == 0);
  shop.require_balanced(sku);
}
