// The inventory plugin's catalogue against a real host and PostgreSQL:
// products created, paged by SKU, read, changed and restocked by an ADMIN;
// every bad input refused with its field's path and nothing written; a taken
// SKU is 409; only an ADMIN changes the catalogue; the demo products load
// only when plugin.inventory.demo_products=true; inventory.price.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <string>
#include <vector>

using namespace itest;

namespace {

Headers as(const std::string& role) {
  return {{"Authorization", bearer(mint_token(role, random_uuid()))}, {"Content-Type", "application/json"}};
}

// A host with the shipped inventory plugin (and the system_call workflow).
struct InventoryHost {
  explicit InventoryHost(std::map<std::string, std::string> env = {})
      : host({}, with_defaults(std::move(env)), HostUnderTest::Start::Later), calls(host) {
    host.add_shipped_plugin("inventory");
    host.start();
    auto entry = host.wait_for_plugin("inventory.so", "LOADED", std::chrono::seconds(20));
    INFO(host.process().log_tail(40));
    REQUIRE(entry);
  }
  static std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) {
    env.emplace("CRM_WORKFLOWS_POLL_MS", "50");
    env.emplace("CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100");
    env.emplace("CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8));
    return env;
  }

  Response send(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& role = "ADMIN") {
    return host.http().request(method, path, body, as(role));
  }
  Poco::JSON::Object::Ptr create(const std::string& sku, const std::string& price, int stock,
                                 const std::string& currency = "USD") {
    auto r = send("POST", "/api/products",
                  "{\"sku\":\"" + sku + "\",\"name\":\"Product " + sku + "\",\"price\":\"" + price +
                      "\",\"currency\":\"" + currency + "\",\"stock\":" + std::to_string(stock) + "}");
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }
  long long products() { return host.sql().count("select count(*) from inventory.products"); }
  long long events() { return host.sql().count("select count(*) from inventory.crm_outbox"); }

  HostUnderTest host;
  SystemCalls calls;
};

std::vector<std::string> skus_of(const Poco::JSON::Object::Ptr& page) {
  std::vector<std::string> out;
  auto items = page->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) out.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "sku"));
  return out;
}

} // namespace

TEST_CASE("an ADMIN creates, pages, reads, changes and restocks products, each change an event",
          "[inventory][products]") {
  InventoryHost shop;
  auto widget = shop.create("widget-1", "29.99", 100);
  CHECK(text_of(widget, "price") == "29.99");
  CHECK(widget->getValue<int>("available") == 100);
  CHECK(widget->getValue<bool>("active"));
  shop.create("gadget-2", "49.9", 5);
  shop.create("device-3", "100", 0);

  auto first = shop.send("GET", "/api/products?limit=2", "", "SALES");
  REQUIRE(first.status == 200);
  CHECK(skus_of(first.json()) == std::vector<std::string>{"device-3", "gadget-2"});
  const std::string cursor = text_of(first.json(), "nextCursor");
  REQUIRE_FALSE(cursor.empty());
  auto second = shop.send("GET", "/api/products?limit=2&cursor=" + cursor, "", "SALES");
  REQUIRE(second.status == 200);
  CHECK(skus_of(second.json()) == std::vector<std::string>{"widget-1"});
  CHECK(second.json()->isNull("nextCursor"));

  auto got = shop.send("GET", "/api/products/gadget-2", "", "SALES");
  REQUIRE(got.status == 200);
  CHECK(text_of(got.json(), "price") == "49.90");
  CHECK(shop.send("GET", "/api/products/nothing-here").status == 404);

  auto patched = shop.send("PATCH", "/api/products/gadget-2", R"({"name":"Gadget","price":"45.5","active":false})");
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  CHECK(text_of(patched.json(), "name") == "Gadget");
  CHECK(text_of(patched.json(), "price") == "45.50");
  CHECK_FALSE(patched.json()->getValue<bool>("active"));
  auto active = shop.send("GET", "/api/products?active=true", "", "SALES");
  CHECK(skus_of(active.json()) == std::vector<std::string>{"device-3", "widget-1"});

  auto restocked = shop.send("POST", "/api/products/device-3/restock", R"({"quantity":7})");
  INFO(restocked.body);
  REQUIRE(restocked.status == 200);
  CHECK(restocked.json()->getValue<int>("stock") == 7);
  CHECK(restocked.json()->getValue<int>("available") == 7);

  auto types = shop.host.sql().query("select type from inventory.crm_outbox order by seq");
  std::vector<std::string> seen;
  for (const auto& row : types) seen.push_back(*row[0]);
  CHECK(seen == std::vector<std::string>{"product.created", "product.created", "product.created", "product.updated",
                                         "product.restocked"});
}

TEST_CASE("bad product input is refused with the field's path and writes nothing", "[inventory][products]") {
  InventoryHost shop;
  struct Case {
    std::string body, field;
  };
  const std::vector<Case> cases = {
      {R"({"name":"A","price":"1.00","currency":"USD","stock":1})", "sku"},
      {R"({"sku":"bad sku!","name":"A","price":"1.00","currency":"USD","stock":1})", "sku"},
      {"{\"sku\":\"" + std::string(65, 'a') + "\",\"name\":\"A\",\"price\":\"1.00\",\"currency\":\"USD\",\"stock\":1}",
       "sku"},
      {R"({"sku":"ok-1","name":"","price":"1.00","currency":"USD","stock":1})", "name"},
      {R"({"sku":"ok-1","name":"   ","price":"1.00","currency":"USD","stock":1})", "name"},
      {R"({"sku":"ok-1","name":"A","price":"0","currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":"0.00","currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":"-1","currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":"1.234","currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":"abc","currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":true,"currency":"USD","stock":1})", "price"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"usd","stock":1})", "currency"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"US","stock":1})", "currency"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"USD","stock":-1})", "stock"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"USD","stock":"5"})", "stock"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"USD"})", "stock"},
      {R"({"sku":"ok-1","name":"A","price":"1.00","currency":"USD","stock":1,"colour":"red"})", "colour"},
  };
  for (const auto& c : cases) {
    auto r = shop.send("POST", "/api/products", c.body);
    INFO(c.body);
    auto problem = require_problem(r, 422);
    CHECK(error_fields(problem) == std::vector<std::string>{c.field});
  }
  CHECK(shop.products() == 0);

  shop.create("ok-1", "10.00", 3);
  const long long events = shop.events();
  const std::vector<Case> changes = {
      {R"({"price":"0"})", "price"},          {R"({"price":"12.345"})", "price"},
      {R"({"name":" "})", "name"},            {R"({"active":"yes"})", "active"},
      {R"({"stock":10})", "stock"},
  };
  for (const auto& c : changes) {
    auto r = shop.send("PATCH", "/api/products/ok-1", c.body);
    INFO(c.body);
    CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{c.field});
  }
  for (const std::string body : {R"({"quantity":0})", R"({"quantity":1000001})", R"({"quantity":"3"})", R"({})"}) {
    auto r = shop.send("POST", "/api/products/ok-1/restock", body);
    INFO(body);
    CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{"quantity"});
  }
  CHECK(shop.send("POST", "/api/products/missing/restock", R"({"quantity":1})").status == 404);
  CHECK(shop.send("PATCH", "/api/products/missing", R"({"name":"B"})").status == 404);
  for (const std::string query : {"limit=0", "limit=201", "cursor=not-a-cursor", "active=maybe"}) {
    auto r = shop.send("GET", "/api/products?" + query);
    INFO(query);
    auto fields = error_fields(require_problem(r, 422));
    CHECK(fields == std::vector<std::string>{query.substr(0, query.find('='))});
  }

  auto unchanged = shop.send("GET", "/api/products/ok-1").json();
  CHECK(text_of(unchanged, "price") == "10.00");
  CHECK(text_of(unchanged, "name") == "Product ok-1");
  CHECK(unchanged->getValue<int>("stock") == 3);
  CHECK(unchanged->getValue<bool>("active"));
  CHECK(shop.events() == events);
}

TEST_CASE("a taken SKU is 409 and the first product stays as it was", "[inventory][products]") {
  InventoryHost shop;
  shop.create("dup-1", "5.00", 4);
  auto r = shop.send("POST", "/api/products", R"({"sku":"dup-1","name":"Other","price":"9.00","currency":"EUR","stock":9})");
  require_problem(r, 409);
  auto product = shop.send("GET", "/api/products/dup-1").json();
  CHECK(text_of(product, "name") == "Product dup-1");
  CHECK(text_of(product, "currency") == "USD");
  CHECK(product->getValue<int>("stock") == 4);
  CHECK(shop.products() == 1);
  CHECK(shop.events() == 1);
}

TEST_CASE("only an ADMIN changes the catalogue or reads its books, any user reads products",
          "[inventory][products][roles]") {
  InventoryHost shop;
  shop.create("p-1", "1.00", 1);
  for (const char* role : {"SALES", "MANAGER"}) {
    INFO(role);
    CHECK(shop.send("POST", "/api/products", R"({"sku":"p-2","name":"B","price":"1","currency":"USD","stock":1})", role)
              .status == 403);
    CHECK(shop.send("PATCH", "/api/products/p-1", R"({"name":"B"})", role).status == 403);
    CHECK(shop.send("POST", "/api/products/p-1/restock", R"({"quantity":1})", role).status == 403);
    CHECK(shop.send("GET", "/api/inventory/balance", "", role).status == 403);
    CHECK(shop.send("GET", "/api/products", "", role).status == 200);
    CHECK(shop.send("GET", "/api/products/p-1", "", role).status == 200);
  }
  CHECK(shop.host.http().get("/api/products").status == 401);
  CHECK(shop.products() == 1);
  CHECK(text_of(shop.send("GET", "/api/products/p-1").json(), "name") == "Product p-1");
}

TEST_CASE("the demo products load only with plugin.inventory.demo_products=true, once", "[inventory][demo]") {
  SECTION("off by default: the catalogue starts empty") {
    InventoryHost shop;
    auto r = shop.send("GET", "/api/products", "", "SALES");
    REQUIRE(r.status == 200);
    CHECK(r.json()->getArray("items")->size() == 0);
  }
  SECTION("on: the three products, and a second host adds nothing") {
    InventoryHost shop(std::map<std::string, std::string>{{"CRM_PLUGIN_INVENTORY_DEMO_PRODUCTS", "true"}});
    Poco::JSON::Object::Ptr page;
    // The on-start operation may finish just after the host answers.
    REQUIRE(eventually(
        [&] {
          page = shop.send("GET", "/api/products", "", "SALES").json();
          return page->getArray("items")->size() == 3;
        },
        std::chrono::seconds(10)));
    CHECK(skus_of(page) == std::vector<std::string>{"product-1", "product-2", "product-3"});
    auto items = page->getArray("items");
    const std::vector<std::pair<std::string, int>> expected = {{"29.99", 100}, {"49.99", 50}, {"99.99", 25}};
    const std::vector<std::string> names = {"Premium Widget", "Deluxe Gadget", "Elite Device"};
    for (size_t i = 0; i < 3; ++i) {
      auto p = items->getObject(static_cast<unsigned>(i));
      CHECK(text_of(p, "name") == names[i]);
      CHECK(text_of(p, "price") == expected[i].first);
      CHECK(text_of(p, "currency") == "USD");
      CHECK(p->getValue<int>("available") == expected[i].second);
    }
    // A restock, then a second host's start-up: nothing is reset or added.
    REQUIRE(shop.send("POST", "/api/products/product-3/restock", R"({"quantity":5})").status == 200);
    auto second = shop.host.another_host("second", {{"CRM_PLUGIN_INVENTORY_DEMO_PRODUCTS", "true"},
                                                   {"CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8)}});
    second->start();
    second->wait_until_live();
    // Plugins load, and run their start-up operations, before a host is live.
    CHECK(shop.products() == 3);
    CHECK(shop.send("GET", "/api/products/product-3").json()->getValue<int>("stock") == 30);
    CHECK(shop.host.sql().count("select count(*) from inventory.crm_outbox where type = 'product.created'") == 3);
  }
}

TEST_CASE("inventory.price prices the lines in decimal and refuses unknown, inactive and mixed products",
          "[inventory][price]") {
  InventoryHost shop;
  shop.calls.wait_until_ready();
  shop.create("a-1", "29.99", 10);
  shop.create("b-2", "0.10", 10);
  shop.create("eur-3", "5.00", 10, "EUR");
  shop.create("off-4", "1.00", 10);
  REQUIRE(shop.send("PATCH", "/api/products/off-4", R"({"active":false})").status == 200);

  auto priced = shop.calls.call("inventory.price", R"({"items":[{"sku":"a-1","quantity":3},{"sku":"b-2","quantity":3}]})");
  INFO(priced.message);
  REQUIRE(priced.ok());
  CHECK(text_of(priced.reply, "total") == "90.27");
  CHECK(text_of(priced.reply, "currency") == "USD");
  auto lines = priced.reply->getArray("items");
  REQUIRE(lines->size() == 2);
  CHECK(text_of(lines->getObject(0), "lineTotal") == "89.97");
  CHECK(text_of(lines->getObject(1), "lineTotal") == "0.30");
  CHECK(text_of(lines->getObject(1), "price") == "0.10");

  auto unknown = shop.calls.call("inventory.price", R"({"items":[{"sku":"a-1","quantity":1},{"sku":"zz","quantity":1},{"sku":"off-4","quantity":1}]})");
  CHECK(unknown.status == "INVALID");
  CHECK(unknown.fields == std::vector<std::string>{"items[1].sku", "items[2].sku"});
  auto mixed = shop.calls.call("inventory.price", R"({"items":[{"sku":"a-1","quantity":1},{"sku":"eur-3","quantity":1}]})");
  CHECK(mixed.status == "INVALID");
  CHECK(mixed.fields == std::vector<std::string>{"items"});
  auto bad = shop.calls.call("inventory.price", R"({"items":[{"sku":"a-1","quantity":0}]})");
  CHECK(bad.status == "INVALID");
  CHECK(bad.fields == std::vector<std::string>{"items[0].quantity"});
}
