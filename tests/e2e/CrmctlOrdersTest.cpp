// crmctl products and orders against a host with the shop's plugins and the
// shipped order_fulfillment saga: the catalogue in the three output forms,
// orders listed and shown, a cancel refused after shipping, and `orders
// watch` following an order live to its exit status, also across a restart
// of the host (it reconnects with Last-Event-ID).
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace e2e;
using namespace std::chrono_literals;

namespace {

std::string place(CrmctlHost& h, const std::string& customer, const std::string& sku, const std::string& token) {
  auto r = h.as(h.auth().admin().access_token, "POST", "/api/orders",
                R"({"customerId":")" + customer + R"(","items":[{"sku":")" + sku +
                    R"(","quantity":1}],"payment":{"token":")" + token +
                    R"("},"shippingAddress":{"name":"Ann","line1":"1 Main St","city":"Springfield","postalCode":"1","country":"US"}})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text_of(r.json(), "id");
}

std::string customer_of_admin(CrmctlHost& h) {
  auto r = h.as(h.auth().admin().access_token, "POST", "/api/customers", R"({"name":"Shop Buyer"})");
  REQUIRE(r.status == 201);
  return text_of(r.json(), "id");
}

} // namespace

TEST_CASE("products create, list in three forms and restock", "[crmctl][orders]") {
  CrmctlHost h;
  h.login_admin();
  auto created = h.ok({"products", "create", "--sku", "cli-1", "--name", "Cli Widget", "--price", "12.50", "--stock",
                       "7"});
  CHECK(contains(created.out, "Created cli-1 (Cli Widget), 7 available"));
  auto table = lines_of(h.ok({"products", "list"}).out);
  REQUIRE(!table.empty());
  CHECK(starts_with(table[0], "SKU"));
  bool listed = false;
  for (const auto& line : table) listed = listed || (starts_with(line, "cli-1") && contains(line, "12.50"));
  CHECK(listed);
  auto csv = lines_of(h.ok({"products", "list", "-o", "csv"}).out);
  CHECK(csv[0] == "sku,name,price,currency,available,active");
  CHECK(std::find(csv.begin(), csv.end(), "cli-1,Cli Widget,12.50,USD,7,true") != csv.end());
  CHECK(contains(h.ok({"products", "restock", "cli-1", "--quantity", "5"}).out, "Restocked cli-1: 12 available"));
  auto json = json_object(h.ok({"products", "restock", "cli-1", "--quantity", "1", "-o", "json"}).out);
  CHECK(json->getValue<int>("available") == 13);

  auto taken = h.run({"products", "create", "--sku", "cli-1", "--name", "Again", "--price", "1.00"});
  CHECK(taken.exit_code == 2);
  CHECK(contains(taken.err, "(409)"));
  auto bad = h.run({"products", "create", "--sku", "cli-2", "--name", "Bad", "--price", "-1"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "\n  price: "));
}

TEST_CASE("orders watch exits 0 once SHIPPED and 4 once FAILED, list, get and a refused cancel",
          "[crmctl][orders]") {
  CrmctlHost h;
  h.login_admin();
  h.ok({"products", "create", "--sku", "cli-w", "--name", "Watched", "--price", "3.00", "--stock", "10"});
  const std::string customer = customer_of_admin(h);

  const std::string good = place(h, customer, "cli-w", "tok_ok");
  auto shipped = h.run({"orders", "watch", good});
  INFO(describe({"orders", "watch", good}, shipped));
  CHECK(shipped.exit_code == 0);
  CHECK(contains(shipped.out, "SHIPPED"));

  const std::string declined = place(h, customer, "cli-w", "tok_decline");
  auto failed = h.run({"orders", "watch", declined});
  INFO(describe({"orders", "watch", declined}, failed));
  CHECK(failed.exit_code == 4);
  CHECK(contains(failed.out, "FAILED"));
  CHECK(contains(failed.out, "PAYMENT_DECLINED"));

  auto csv = h.ok({"orders", "list", "--status", "SHIPPED", "-o", "csv"}).out;
  CHECK(contains(csv, good));
  CHECK_FALSE(contains(csv, declined));
  auto one = json_object(h.ok({"orders", "get", good, "-o", "json"}).out);
  CHECK(text_of(one, "status") == "SHIPPED");
  CHECK(one->getArray("timeline")->size() == 4);
  auto table = h.ok({"orders", "get", declined}).out;
  CHECK(contains(table, "PAYMENT_DECLINED"));

  auto cancel = h.run({"orders", "cancel", good});
  CHECK(cancel.exit_code == 2);
  CHECK(contains(cancel.err, "(409)"));
}

TEST_CASE("orders watch reconnects across a restart of the host and still sees the order ship",
          "[crmctl][orders]") {
  // The carrier takes its time, so the order is still on its way when the
  // host restarts.
  CrmctlHost h(std::map<std::string, std::string>{{"CRM_PLUGIN_SHIPPING_BOOKING_DELAY_MS", "4000"}});
  h.login_admin();
  h.ok({"products", "create", "--sku", "cli-r", "--name", "Restarted", "--price", "3.00", "--stock", "10"});
  const std::string id = place(h, customer_of_admin(h), "cli-r", "tok_ok");

  auto watching = std::async(std::launch::async, [&] { return h.run({"orders", "watch", id}); });
  // Once the order is PAID the shipment is being booked: restart the host.
  REQUIRE(eventually(
      [&] {
        auto r = h.as(h.auth().admin().access_token, "GET", "/api/orders/" + id);
        return r.status == 200 && text_of(r.json(), "status") == "PAID";
      },
      30s));
  h.auth().host().process().terminate();
  REQUIRE(h.auth().host().process().wait_for_exit(30s));
  h.auth().host().start();

  REQUIRE(watching.wait_for(90s) == std::future_status::ready);
  auto watched = watching.get();
  INFO(describe({"orders", "watch", id}, watched));
  CHECK(watched.exit_code == 0);
  CHECK(contains(watched.err, "reconnecting"));
  // Every status once, in order, across the two connections.
  auto out = watched.out;
  const auto paid = out.find("PAID"), shipped = out.find("SHIPPED");
  CHECK(paid != std::string::npos);
  CHECK(shipped != std::string::npos);
  CHECK(paid < shipped);
  CHECK(out.find("SHIPPED", shipped + 1) == std::string::npos);
}
