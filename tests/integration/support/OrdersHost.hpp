// OrdersHost: a crm-host with the shop (inventory, payments, orders,
// shipping) beside auth, customer, sales and analytics, and the shipped
// workflows/order_fulfillment.lua, plus what the Order*Test files share:
// products, customers, placing orders, waiting for an order's status, and
// the checks that no order holds stock or an uncompensated charge.
#pragma once

#include "support/AnalyticsHost.hpp"
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace itest {

inline const std::set<std::string>& final_order_statuses() {
  static const std::set<std::string> statuses{"DELIVERED", "FAILED", "CANCELLED"};
  return statuses;
}

// The host's settings for the shop: a short provider timeout and no demo
// products unless asked.
inline AuthHostOptions orders_options(std::map<std::string, std::string> env = {}) {
  auto options = analytics_options({{"order_fulfillment.lua", shipped_workflow("order_fulfillment.lua")}},
                                   {"inventory", "payments", "orders", "shipping"});
  options.env["CRM_PLUGIN_PAYMENTS_TIMEOUT_MS"] = "200";
  options.env["CRM_RATELIMIT_API_PER_IP"] = "0";
  options.env["CRM_RATELIMIT_API_PER_USER"] = "0";
  for (auto& [k, v] : env) options.env[k] = v;
  return options;
}

class OrdersHost {
public:
  explicit OrdersHost(std::map<std::string, std::string> env = {})
      : auth_(orders_options(std::move(env))), manager_(auth_.create_user("MANAGER")),
        seller_(auth_.create_user("SALES", manager_.id)) {
    std::optional<Response> last;
    const bool live = eventually(
        [&] {
          last = auth_.http().get("/api/workflows/order_fulfillment", {{"Authorization", bearer(admin().access_token)}});
          return last->status == 200 && contains(last->body, "\"LIVE\"");
        },
        std::chrono::seconds(20));
    INFO("order_fulfillment should be LIVE: " << (last ? last->body : std::string()) << "\n"
                                               << auth_.host().process().log_tail(40));
    REQUIRE(live);
  }

  AuthHost& auth() { return auth_; }
  HostUnderTest& host() { return auth_.host(); }
  const Account& admin() const { return auth_.admin(); }
  const Account& manager() const { return manager_; }
  const Account& seller() const { return seller_; }
  Sql sql() { return auth_.host().sql(); }

  Response as(const Account& who, const std::string& method, const std::string& path, const std::string& body = "",
              Headers extra = {}) {
    Headers h{{"Authorization", bearer(who.access_token)}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    for (auto& e : extra) h.push_back(std::move(e));
    return auth_.http().request(method, path, body, h);
  }

  Poco::JSON::Object::Ptr ok(const Account& who, const std::string& method, const std::string& path,
                             const std::string& body = "", int status = 200) {
    auto r = as(who, method, path, body);
    INFO(method << " " << path << " " << body << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == status);
    return r.json();
  }

  // A product with a unique sku; returns the sku.
  std::string product(int stock, const std::string& price = "10.00") {
    const std::string sku = "sku-" + random_hex(8);
    ok(admin(), "POST", "/api/products",
       "{\"sku\":\"" + sku + "\",\"name\":\"Test " + sku + "\",\"price\":\"" + price +
           "\",\"currency\":\"USD\",\"stock\":" + std::to_string(stock) + "}",
       201);
    return sku;
  }

  long long available(const std::string& sku) {
    return ok(admin(), "GET", "/api/products/" + sku)->getValue<long long>("available");
  }

  std::string customer(const Account& owner) {
    return text_of(ok(owner, "POST", "/api/customers", "{\"name\":\"Buyer " + random_hex(6) + "\"}", 201), "id");
  }

  static std::string order_body(const std::string& customer, const std::string& sku, int quantity,
                                const std::string& token = "tok_ok") {
    return "{\"customerId\":\"" + customer + "\",\"items\":[{\"sku\":\"" + sku + "\",\"quantity\":" +
           std::to_string(quantity) + "}],\"payment\":{\"token\":\"" + token +
           "\"},\"shippingAddress\":{\"name\":\"Ann Buyer\",\"line1\":\"1 Main St\",\"city\":\"Springfield\","
           "\"postalCode\":\"12345\",\"country\":\"US\"}}";
  }

  // POST /api/orders; requires 201; returns the order's id.
  std::string place(const Account& who, const std::string& customer, const std::string& sku, int quantity,
                    const std::string& token = "tok_ok") {
    return text_of(ok(who, "POST", "/api/orders", order_body(customer, sku, quantity, token), 201), "id");
  }

  Poco::JSON::Object::Ptr order(const std::string& id, const Account* who = nullptr) {
    return ok(who ? *who : admin(), "GET", "/api/orders/" + id);
  }

  // Waits until the order's status is one of `statuses`; returns the order.
  Poco::JSON::Object::Ptr wait_for(const std::string& id, const std::set<std::string>& statuses,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    Poco::JSON::Object::Ptr last;
    const bool reached = eventually(
        [&] {
          last = order(id);
          return statuses.count(text_of(last, "status")) > 0;
        },
        timeout, std::chrono::milliseconds(50));
    INFO("order " << id << " should reach one of the awaited statuses; last seen: "
                  << (last ? json_of(*last) : std::string("never")) << "\n"
                  << host().process().log_tail(40));
    REQUIRE(reached);
    return last;
  }

  // "PENDING RESERVED PAID SHIPPED": the statuses of the order's timeline.
  static std::string timeline_of(const Poco::JSON::Object::Ptr& order) {
    std::string out;
    auto timeline = order->getArray("timeline");
    REQUIRE(timeline);
    for (size_t i = 0; i < timeline->size(); ++i) {
      if (!out.empty()) out += ' ';
      out += text_of(timeline->getObject(static_cast<unsigned>(i)), "status");
    }
    return out;
  }

  // The simulated provider's books for one order: a "CHARGE" or "REFUND" per
  // approved entry (a declined charge moved no money and is left out).
  std::multiset<std::string> ledger(const std::string& order_id) {
    auto items = ok(admin(), "GET", "/api/payments/ledger?orderId=" + order_id)->getArray("items");
    std::multiset<std::string> out;
    REQUIRE(items);
    for (size_t i = 0; i < items->size(); ++i) {
      auto entry = items->getObject(static_cast<unsigned>(i));
      if (text_of(entry, "outcome") == "APPROVED") out.insert(text_of(entry, "kind"));
    }
    return out;
  }

  // The stock balance of `sku`: nothing is counted twice or lost.
  void require_balanced(const std::string& sku) {
    auto items = ok(admin(), "GET", "/api/inventory/balance?sku=" + sku)->getArray("items");
    REQUIRE(items);
    REQUIRE(items->size() == 1);
    auto b = items->getObject(0);
    INFO("balance of " << sku << ": " << json_of(*b));
    CHECK(b->getValue<long long>("initial") + b->getValue<long long>("restocked") ==
          b->getValue<long long>("stock") + b->getValue<long long>("committed"));
    CHECK(b->getValue<long long>("reserved") == b->getValue<long long>("heldByReservations"));
    CHECK(b->getValue<bool>("balanced"));
  }

  // A FAILED or CANCELLED order holds no stock and no uncompensated charge;
  // a SHIPPED or DELIVERED one was charged exactly once and never refunded.
  void require_settled(const std::string& order_id) {
    auto o = order(order_id);
    const std::string status = text_of(o, "status");
    auto books = ledger(order_id);
    INFO("order " << order_id << " " << json_of(*o));
    if (status == "SHIPPED" || status == "DELIVERED") {
      CHECK(books.count("CHARGE") == 1);
      CHECK(books.count("REFUND") == 0);
    } else {
      REQUIRE(final_order_statuses().count(status) == 1);
      CHECK(books.count("CHARGE") <= 1);
      CHECK(books.count("REFUND") == books.count("CHARGE"));
      CHECK(sql().count("select count(*) from inventory.reservations where reservation = $1 and status = 'RESERVED'",
                        {order_id}) == 0);
    }
  }

private:
  AuthHost auth_;
  Account manager_;
  Account seller_;
};

} // namespace itest
