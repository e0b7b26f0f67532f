// The orders plugin on a real host with the shop's real plugins (auth,
// customer, inventory, orders, shipping, analytics): bad input refused on
// its field path with nothing written, prices from inventory, the
// Idempotency-Key's replay and its 409, the customer's record rules on every
// route, cancellation, the saga's operations (driven by one-step sagas
// started through POST /api/sagas) with the timeline and events they make,
// the stream operation's reply, the stats read-model and its rebuild, and a
// delivered shipment or a refund reaching the order through their events.
#include "support/EventStreamClient.hpp"
#include "support/ShopHost.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace itest;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

// `body` changed by `change` (which gets the parsed object).
std::string changed(const std::string& body, const std::function<void(Poco::JSON::Object::Ptr)>& change) {
  auto o = parse(body);
  change(o);
  return json_of(*o);
}

Poco::JSON::Object::Ptr first_item(const Poco::JSON::Object::Ptr& o) {
  return o->getArray("items")->getObject(0);
}

std::vector<std::string> timeline_statuses(const Poco::JSON::Object::Ptr& order) {
  std::vector<std::string> out;
  auto timeline = order->getArray("timeline");
  for (size_t i = 0; timeline && i < timeline->size(); ++i)
    out.push_back(text_of(timeline->getObject(static_cast<unsigned>(i)), "status"));
  return out;
}

std::set<std::string> ids_in(const Response& r) {
  std::set<std::string> ids;
  for (const auto& id : AuthHost::ids_of(r)) ids.insert(id);
  return ids;
}

// How a browser's EventSource asks for a stream; a refusal is answered as
// any route's, whether or not the host opens streams.
const Headers kSse{{"Accept", "text/event-stream"}};

// manager <- sales (SALES); other_manager <- other_sales (SALES).
struct Org {
  Account manager, sales, other_manager, other_sales;
};

Org make_org(AuthHost& auth) {
  Org o;
  o.manager = auth.create_user("MANAGER");
  o.sales = auth.create_user("SALES", o.manager.id);
  o.other_manager = auth.create_user("MANAGER");
  o.other_sales = auth.create_user("SALES", o.other_manager.id);
  return o;
}

std::string advance_input(const std::string& order, const std::string& status, const std::string& extra = "") {
  return R"({"orderId":")" + order + R"(","status":")" + status + R"(","event":"test.)" + status + "\"" + extra + "}";
}
std::string order_input(const std::string& order) { return R"({"orderId":")" + order + "\"}"; }
std::string fail_input(const std::string& order, const std::string& reason) {
  return R"({"orderId":")" + order + R"(","reason":")" + reason + "\"}";
}

// The data of every order.status_changed event of `order`, by seq.
std::vector<Poco::JSON::Object::Ptr> status_events(ShopHost& h, const std::string& order) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto rows = h.sql().query("select data::text from orders.crm_outbox where type = 'order.status_changed' "
                            "and subject = $1 order by (data->>'seq')::int",
                            {order});
  for (const auto& row : rows) out.push_back(parse(*row[0]));
  return out;
}

// The kinds of `who`'s notifications about orders.
std::multiset<std::string> notice_kinds(ShopHost& h, const Account& who) {
  std::multiset<std::string> kinds;
  auto r = h.as(who, "GET", "/api/notifications?limit=200");
  REQUIRE(r.status == 200);
  auto items = r.json()->getArray("items");
  for (size_t i = 0; items && i < items->size(); ++i) {
    auto n = items->getObject(static_cast<unsigned>(i));
    if (text_of(n, "resourceType") == "order" || starts_with(text_of(n, "kind"), "ORDER_"))
      kinds.insert(text_of(n, "kind"));
  }
  return kinds;
}

} // namespace

TEST_CASE("an order refused for bad input names the field and writes nothing", "[orders][orders_input]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  h.create_product("P-OFF", "3.00", 10);
  REQUIRE(h.as(h.admin(), "PATCH", "/api/products/P-OFF", R"({"active":false})").status == 200);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string others = h.create_customer(org.other_sales.id);
  const std::string good = ShopHost::order_body(customer, {{"P-1", 2}});

  using Change = std::function<void(Poco::JSON::Object::Ptr)>;
  const std::vector<std::pair<std::string, Change>> cases = {
      {"customerId", [](auto o) { o->remove("customerId"); }},
      {"customerId", [](auto o) { o->set("customerId", "not-a-uuid"); }},
      {"customerId", [](auto o) { o->set("customerId", random_uuid()); }},
      {"customerId", [&](auto o) { o->set("customerId", others); }},
      {"items", [](auto o) { o->remove("items"); }},
      {"items", [](auto o) { o->set("items", Poco::JSON::Array()); }},
      {"items", [](auto o) { o->set("items", "P-1"); }},
      {"items[0].sku", [](auto o) { first_item(o)->remove("sku"); }},
      {"items[0].sku", [](auto o) { first_item(o)->set("sku", "no spaces allowed"); }},
      {"items[0].sku", [](auto o) { first_item(o)->set("sku", "NO-SUCH-SKU"); }},
      {"items[0].sku", [](auto o) { first_item(o)->set("sku", "P-OFF"); }},
      {"items[0].quantity", [](auto o) { first_item(o)->set("quantity", 0); }},
      {"items[0].quantity", [](auto o) { first_item(o)->set("quantity", 1001); }},
      {"items[0].quantity", [](auto o) { first_item(o)->set("quantity", "2"); }},
      {"items[0].quantity", [](auto o) { first_item(o)->remove("quantity"); }},
      {"payment", [](auto o) { o->remove("payment"); }},
      {"payment.token", [](auto o) { o->getObject("payment")->set("token", ""); }},
      {"payment.token", [](auto o) { o->getObject("payment")->set("token", "   "); }},
      {"shippingAddress", [](auto o) { o->remove("shippingAddress"); }},
      {"shippingAddress.name", [](auto o) { o->getObject("shippingAddress")->set("name", "  "); }},
      {"shippingAddress.line1", [](auto o) { o->getObject("shippingAddress")->remove("line1"); }},
      {"shippingAddress.city", [](auto o) { o->getObject("shippingAddress")->set("city", ""); }},
      {"shippingAddress.postalCode", [](auto o) { o->getObject("shippingAddress")->set("postalCode", 12345); }},
      {"shippingAddress.country", [](auto o) { o->getObject("shippingAddress")->set("country", "gb"); }},
  };
  for (const auto& [field, change] : cases) {
    const std::string body = changed(good, change);
    INFO("body " << body);
    auto problem = require_problem(h.as(org.sales, "POST", "/api/orders", body, {{"Idempotency-Key", random_hex(8)}}), 422);
    const auto fields = error_fields(problem);
    CHECK(std::find(fields.begin(), fields.end(), field) != fields.end());
  }
  // A second bad line is named on its own index (the inventory's answer).
  auto second = require_problem(
      h.as(org.sales, "POST", "/api/orders", ShopHost::order_body(customer, {{"P-1", 1}, {"NOPE-2", 1}})), 422);
  CHECK(error_fields(second) == std::vector<std::string>{"items[1].sku"});

  Sql sql = h.sql();
  CHECK(sql.count("select count(*) from orders.orders") == 0);
  CHECK(sql.count("select count(*) from orders.order_lines") == 0);
  CHECK(sql.count("select count(*) from orders.order_timeline") == 0);
  CHECK(sql.count("select count(*) from orders.placement_keys") == 0);
  CHECK(sql.count("select count(*) from orders.crm_outbox") == 0);

  // And the good body is placed.
  auto placed = h.as(org.sales, "POST", "/api/orders", good);
  INFO(placed.body);
  CHECK(placed.status == 201);
}

TEST_CASE("a placed order is priced by inventory, belongs to the customer's owner and starts its timeline",
          "[orders]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  h.create_product("P-2", "5.50", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);

  // Placed by the manager, for its team's customer: the order is the owner's.
  auto r = h.as(org.manager, "POST", "/api/orders", ShopHost::order_body(customer, {{"P-1", 2}, {"P-2", 1}}));
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto reply = r.json();
  const std::string id = text_of(reply, "id");
  CHECK(text_of(reply, "status") == "PENDING");
  CHECK(text_of(reply, "total") == "25.50");
  CHECK(text_of(reply, "currency") == "USD");

  auto order = h.order(org.sales, id);
  CHECK(text_of(order, "customerId") == customer);
  CHECK(text_of(order, "ownerId") == org.sales.id);
  CHECK(text_of(order, "placedBy") == org.manager.id);
  CHECK(text_of(order, "total") == "25.50");
  auto items = order->getArray("items");
  REQUIRE(items->size() == 2);
  CHECK(text_of(items->getObject(0), "sku") == "P-1");
  CHECK(text_of(items->getObject(0), "price") == "10.00");
  CHECK(text_of(items->getObject(0), "lineTotal") == "20.00");
  CHECK(items->getObject(0)->getValue<int>("quantity") == 2);
  CHECK(text_of(order->getObject("payment"), "status") == "NONE");
  CHECK(order->getObject("payment")->isNull("chargeId"));
  CHECK(order->getObject("shipment")->isNull("trackingNumber"));
  CHECK(timeline_statuses(order) == std::vector<std::string>{"PENDING"});
  CHECK(text_of(order->getArray("timeline")->getObject(0), "event") == "order.placed");

  // order.placed and entry 1 of order.status_changed, in the same transaction.
  auto placed = parse(*h.sql().scalar(
      "select data::text from orders.crm_outbox where type = 'order.placed' and subject = $1", {id}));
  CHECK(text_of(placed, "ownerId") == org.sales.id);
  CHECK(text_of(placed, "placedBy") == org.manager.id);
  CHECK(text_of(placed, "total") == "25.50");
  CHECK(placed->getArray("items")->size() == 2);
  auto changes = status_events(h, id);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0]->getValue<int>("seq") == 1);
  CHECK(text_of(changes[0], "status") == "PENDING");
  CHECK(changes[0]->isNull("previous"));
  CHECK_FALSE(changes[0]->getValue<bool>("final"));
  CHECK(text_of(changes[0], "event") == "order.placed");
}

TEST_CASE("an Idempotency-Key answers the same request with the first reply and another with 409, per caller",
          "[orders][idempotency]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string body = ShopHost::order_body(customer, {{"P-1", 1}});
  const std::string key = "order-" + random_hex(8);
  Sql sql = h.sql();

  auto first = h.as(org.sales, "POST", "/api/orders", body, {{"Idempotency-Key", key}});
  INFO(first.body);
  REQUIRE(first.status == 201);
  // The same body, spelt differently: the same request.
  auto again = h.as(org.sales, "POST", "/api/orders", changed(body, [](auto) {}), {{"Idempotency-Key", key}});
  CHECK(again.status == 201);
  CHECK(again.body == first.body);
  CHECK(sql.count("select count(*) from orders.orders") == 1);
  CHECK(sql.count("select count(*) from orders.crm_outbox where type = 'order.placed'") == 1);

  auto other = h.as(org.sales, "POST", "/api/orders", ShopHost::order_body(customer, {{"P-1", 2}}),
                    {{"Idempotency-Key", key}});
  require_problem(other, 409);
  CHECK(sql.count("select count(*) from orders.orders") == 1);

  // Another caller's key of the same name is its own; no key: a new order.
  auto managers = h.as(org.manager, "POST", "/api/orders", body, {{"Idempotency-Key", key}});
  CHECK(managers.status == 201);
  CHECK(text_of(managers.json(), "id") != text_of(first.json(), "id"));
  CHECK(h.as(org.sales, "POST", "/api/orders", body).status == 201);
  CHECK(sql.count("select count(*) from orders.orders") == 3);

  auto too_long = require_problem(
      h.as(org.sales, "POST", "/api/orders", body, {{"Idempotency-Key", std::string(201, 'k')}}), 422);
  CHECK(error_fields(too_long) == std::vector<std::string>{"Idempotency-Key"});
  CHECK(sql.count("select count(*) from orders.orders") == 3);
}

TEST_CASE("concurrent placements with one Idempotency-Key make one order and all get its reply",
          "[orders][idempotency]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string body = ShopHost::order_body(customer, {{"P-1", 1}});
  const std::string key = "burst-" + random_hex(8);
  constexpr int kClients = 8;
  std::vector<Response> replies(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] {
      Http http(h.auth().host().port());
      replies[i] = http.request("POST", "/api/orders", body,
                                {{"Authorization", bearer(org.sales.access_token)},
                                 {"Content-Type", "application/json"},
                                 {"Idempotency-Key", key}});
    });
  for (auto& c : clients) c.join();
  for (const auto& r : replies) {
    INFO(r.status << " " << r.body);
    CHECK(r.status == 201);
    CHECK(r.body == replies[0].body);
  }
  CHECK(h.sql().count("select count(*) from orders.orders") == 1);
  CHECK(h.sql().count("select count(*) from orders.crm_outbox where type = 'order.placed'") == 1);
}

TEST_CASE("without the inventory plugin an order cannot be priced: 503 and nothing written", "[orders]") {
  ShopHost h({"customer", "orders"});
  const Account sales = h.auth().create_user("SALES");
  const std::string customer = h.create_customer(sales.id);
  auto r = h.as(sales, "POST", "/api/orders", ShopHost::order_body(customer, {{"P-1", 1}}),
                {{"Idempotency-Key", "k-" + random_hex(6)}});
  require_problem(r, 503);
  CHECK(h.sql().count("select count(*) from orders.orders") == 0);
  CHECK(h.sql().count("select count(*) from orders.placement_keys") == 0);
  CHECK(h.sql().count("select count(*) from orders.crm_outbox") == 0);
}

TEST_CASE("orders follow the customer's record rules: another team's SALES user gets 404 and lists none",
          "[orders][visibility]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string theirs = h.create_customer(org.other_sales.id);
  const std::string a = h.place_order(org.sales, customer, {{"P-1", 1}});
  const std::string b = h.place_order(org.sales, customer, {{"P-1", 3}});
  const std::string c = h.place_order(org.other_sales, theirs, {{"P-1", 1}});

  require_problem(h.as(org.other_sales, "GET", "/api/orders/" + a), 404);
  // A stream that is refused opens nothing: the same 404 (asked as SSE, the
  // way a browser opens it).
  require_problem(h.as(org.other_sales, "GET", "/api/orders/" + a + "/stream", "", kSse), 404);
  require_problem(h.as(org.other_sales, "POST", "/api/orders/" + a + "/cancel"), 404);
  require_problem(h.as(org.other_manager, "GET", "/api/orders/" + a), 404);
  CHECK(h.order(h.admin(), a)->getValue<bool>("cancelRequested") == false); // the refused cancel changed nothing

  CHECK(ids_in(h.as(org.other_sales, "GET", "/api/orders")) == std::set<std::string>{c});
  CHECK(ids_in(h.as(org.sales, "GET", "/api/orders")) == std::set<std::string>{a, b});
  CHECK(ids_in(h.as(org.manager, "GET", "/api/orders")) == std::set<std::string>{a, b});
  CHECK(ids_in(h.as(h.admin(), "GET", "/api/orders")) == std::set<std::string>{a, b, c});
  CHECK(ids_in(h.as(h.admin(), "GET", "/api/orders?customerId=" + theirs)) == std::set<std::string>{c});
  CHECK(h.order(org.manager, a)->getValue<std::string>("id") == a);

  // Newest first, a page at a time.
  auto page1 = h.as(org.sales, "GET", "/api/orders?limit=1");
  REQUIRE(page1.status == 200);
  CHECK(AuthHost::ids_of(page1) == std::vector<std::string>{b});
  const std::string cursor = text_of(page1.json(), "nextCursor");
  REQUIRE(!cursor.empty());
  auto page2 = h.as(org.sales, "GET", "/api/orders?limit=1&cursor=" + cursor);
  CHECK(AuthHost::ids_of(page2) == std::vector<std::string>{a});
  CHECK(text_of(page2.json(), "nextCursor").empty());

  CHECK(error_fields(require_problem(h.as(org.sales, "GET", "/api/orders?status=LOST"), 422)) ==
        std::vector<std::string>{"status"});
  CHECK(error_fields(require_problem(h.as(org.sales, "GET", "/api/orders?cursor=xyz"), 422)) ==
        std::vector<std::string>{"cursor"});
  // Another team's customer cannot be ordered for.
  auto refused = require_problem(h.as(org.sales, "POST", "/api/orders", ShopHost::order_body(theirs, {{"P-1", 1}})), 422);
  CHECK(error_fields(refused) == std::vector<std::string>{"customerId"});
}

TEST_CASE("the saga's operations move an order forward once each and record the timeline and events",
          "[orders][saga_ops]") {
  ShopHost h;
  h.create_product("P-1", "12.50", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string id = h.place_order(org.manager, customer, {{"P-1", 2}});

  auto begun = h.run("t_begin", order_input(id));
  REQUIRE(begun.status == "COMPLETED");
  CHECK(text_of(begun.reply, "orderId") == id);
  CHECK(text_of(begun.reply, "ownerId") == org.sales.id);
  CHECK(text_of(begun.reply, "placedBy") == org.manager.id);
  CHECK(text_of(begun.reply, "total") == "25.00");
  CHECK(text_of(begun.reply, "paymentToken") == "tok_ok");
  CHECK(text_of(begun.reply->getObject("shippingAddress"), "city") == "London");
  CHECK(text_of(begun.reply->getArray("items")->getObject(0), "price") == "12.50");
  CHECK(h.run("t_begin", order_input(random_uuid())).status != "COMPLETED");

  CHECK(text_of(h.run("t_advance", advance_input(id, "RESERVED")).reply, "status") == "RESERVED");
  CHECK(text_of(h.run("t_advance", advance_input(id, "RESERVED")).reply, "status") == "RESERVED");
  CHECK(text_of(h.run("t_advance", advance_input(id, "PAID", R"(,"chargeId":"ch_1")")).reply, "status") == "PAID");
  // An earlier status again: nothing changes.
  CHECK(text_of(h.run("t_advance", advance_input(id, "RESERVED")).reply, "status") == "PAID");

  // The confirmation, once, to the user who placed the order.
  auto confirmed = h.run("t_confirm", order_input(id));
  REQUIRE(confirmed.status == "COMPLETED");
  const std::string sent_at = text_of(confirmed.reply, "confirmationSentAt");
  CHECK(!sent_at.empty());
  CHECK(text_of(h.run("t_confirm", order_input(id)).reply, "confirmationSentAt") == sent_at);
  CHECK(notice_kinds(h, org.manager) == std::multiset<std::string>{"ORDER_CONFIRMED"});

  auto shipped = h.run("t_advance", advance_input(id, "SHIPPED", R"(,"trackingNumber":"TRK1","carrier":"LocalPost")"));
  CHECK(text_of(shipped.reply, "status") == "SHIPPED");
  h.run("t_advance", advance_input(id, "SHIPPED"));
  CHECK(notice_kinds(h, org.sales) == std::multiset<std::string>{"ORDER_SHIPPED"});
  // Shipped: it can no longer fail.
  auto late = h.run("t_fail", fail_input(id, "FULFILLMENT_FAILED"));
  CHECK(late.status != "COMPLETED");

  auto order = h.order(org.sales, id);
  CHECK(text_of(order, "status") == "SHIPPED");
  CHECK(timeline_statuses(order) == std::vector<std::string>{"PENDING", "RESERVED", "PAID", "SHIPPED"});
  CHECK(text_of(order->getArray("timeline")->getObject(1), "event") == "test.RESERVED");
  CHECK(text_of(order->getObject("payment"), "status") == "CHARGED");
  CHECK(text_of(order->getObject("payment"), "chargeId") == "ch_1");
  CHECK(text_of(order->getObject("shipment"), "trackingNumber") == "TRK1");
  CHECK(text_of(order->getObject("shipment"), "carrier") == "LocalPost");

  auto events = status_events(h, id);
  REQUIRE(events.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(events[i]->getValue<int>("seq") == i + 1);
  CHECK(text_of(events[3], "status") == "SHIPPED");
  CHECK(text_of(events[3], "previous") == "PAID");
  CHECK_FALSE(events[3]->getValue<bool>("final"));
  CHECK(text_of(events[3], "total") == "25.00");
  CHECK(text_of(events[3], "ownerId") == org.sales.id);

  // A failure: FAILED with its reason, once, and the owner told once.
  const std::string lost = h.place_order(org.sales, customer, {{"P-1", 1}});
  auto failed = h.run("t_fail", fail_input(lost, "OUT_OF_STOCK"));
  CHECK(text_of(failed.reply, "status") == "FAILED");
  CHECK(text_of(h.run("t_fail", fail_input(lost, "PAYMENT_DECLINED")).reply, "failureReason") == "OUT_OF_STOCK");
  auto failed_order = h.order(org.sales, lost);
  CHECK(text_of(failed_order, "failureReason") == "OUT_OF_STOCK");
  CHECK(timeline_statuses(failed_order) == std::vector<std::string>{"PENDING", "FAILED"});
  auto fail_events = status_events(h, lost);
  REQUIRE(fail_events.size() == 2);
  CHECK(fail_events[1]->getValue<bool>("final"));
  CHECK(text_of(fail_events[1], "failureReason") == "OUT_OF_STOCK");
  CHECK(notice_kinds(h, org.sales) == std::multiset<std::string>{"ORDER_SHIPPED", "ORDER_FAILED"});
  // A failed order does not move forward.
  CHECK(h.run("t_advance", advance_input(lost, "RESERVED")).status != "COMPLETED");
}

TEST_CASE("a cancel before shipping stops the saga's next step and ends the order CANCELLED, later it is 409",
          "[orders][cancel]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);

  const std::string a = h.place_order(org.sales, customer, {{"P-1", 1}});
  h.run("t_advance", advance_input(a, "RESERVED"));
  auto asked = h.as(org.sales, "POST", "/api/orders/" + a + "/cancel");
  INFO(asked.body);
  REQUIRE(asked.status == 202);
  CHECK(asked.json()->getValue<bool>("cancelRequested"));
  CHECK(text_of(asked.json(), "status") == "RESERVED");
  CHECK(h.as(org.manager, "POST", "/api/orders/" + a + "/cancel").status == 202);

  // The saga's next advance is refused with CONFLICT "CANCELLED"...
  auto refused = h.run("t_advance", advance_input(a, "PAID", R"(,"chargeId":"ch_9")"));
  CHECK(refused.status != "COMPLETED");
  CHECK(contains(refused.error, "CANCELLED"));
  CHECK(text_of(h.order(org.sales, a), "status") == "RESERVED");
  // ...its begin still answers (the compensation must run)...
  CHECK(h.run("t_begin", order_input(a)).status == "COMPLETED");
  // ...and its compensation ends the order CANCELLED, once.
  CHECK(text_of(h.run("t_fail", fail_input(a, "PAYMENT_DECLINED")).reply, "status") == "CANCELLED");
  CHECK(text_of(h.run("t_fail", fail_input(a, "PAYMENT_DECLINED")).reply, "status") == "CANCELLED");
  auto cancelled = h.order(org.sales, a);
  CHECK(text_of(cancelled, "status") == "CANCELLED");
  CHECK(cancelled->isNull("failureReason"));
  CHECK(timeline_statuses(cancelled) == std::vector<std::string>{"PENDING", "RESERVED", "CANCELLED"});
  CHECK(status_events(h, a).back()->getValue<bool>("final"));
  CHECK(h.as(org.sales, "POST", "/api/orders/" + a + "/cancel").status == 202);

  const std::string shipped = h.place_order(org.sales, customer, {{"P-1", 1}});
  for (const char* s : {"RESERVED", "PAID", "SHIPPED"}) h.run("t_advance", advance_input(shipped, s));
  require_problem(h.as(org.sales, "POST", "/api/orders/" + shipped + "/cancel"), 409);
  const std::string failed = h.place_order(org.sales, customer, {{"P-1", 1}});
  h.run("t_fail", fail_input(failed, "PAYMENT_DECLINED"));
  require_problem(h.as(org.sales, "POST", "/api/orders/" + failed + "/cancel"), 409);
  CHECK_FALSE(h.order(org.sales, shipped)->getValue<bool>("cancelRequested"));
  require_problem(h.as(org.sales, "POST", "/api/orders/" + random_uuid() + "/cancel"), 404);
}

TEST_CASE("the order stream sends the order first, then each timeline entry live, resumes after Last-Event-ID, "
          "and ends after a final status",
          "[orders][stream]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string id = h.place_order(org.sales, customer, {{"P-1", 1}});
  const int port = h.auth().host().port();
  const std::string path = "/api/orders/" + id + "/stream";
  auto bearer_of = [](const Account& a) { return std::map<std::string, std::string>{{"Authorization", bearer(a.access_token)}}; };

  EventStreamClient live(port, path, bearer_of(org.sales));
  REQUIRE(live.status() == 200);
  auto state = live.next(std::chrono::seconds(10));
  REQUIRE(state);
  CHECK(state->id == "1");
  CHECK(state->event == "order");
  CHECK(text_of(state->data, "id") == id);
  CHECK(text_of(state->data, "status") == "PENDING");

  // Each change comes as it happens, exactly as its event carried it.
  h.run("t_advance", advance_input(id, "RESERVED"));
  auto reserved = live.next(std::chrono::seconds(10));
  REQUIRE(reserved);
  CHECK(reserved->id == "2");
  CHECK(reserved->event == "order.status_changed");
  CHECK(reserved->data->getValue<int>("seq") == 2);
  CHECK(text_of(reserved->data, "status") == "RESERVED");
  CHECK(text_of(reserved->data, "previous") == "PENDING");
  CHECK(json_of(*reserved->data) == json_of(*status_events(h, id)[1]));

  // A client that saw entry 1 only resumes with entry 2, then goes on live.
  EventStreamClient resumed(port, path, [&] {
    auto headers = bearer_of(org.manager);
    headers["Last-Event-ID"] = "1";
    return headers;
  }());
  REQUIRE(resumed.status() == 200);
  auto missed = resumed.next(std::chrono::seconds(10));
  REQUIRE(missed);
  CHECK(missed->id == "2");
  CHECK(text_of(missed->data, "status") == "RESERVED");

  // A final status is the last frame: both streams end after it.
  h.run("t_fail", fail_input(id, "PAYMENT_DECLINED"));
  for (EventStreamClient* client : {&live, &resumed}) {
    auto last = client->next(std::chrono::seconds(10));
    REQUIRE(last);
    CHECK(last->id == "3");
    CHECK(text_of(last->data, "status") == "FAILED");
    CHECK(last->data->getValue<bool>("final"));
    CHECK_FALSE(client->next(std::chrono::seconds(10)));
    CHECK(client->ended());
  }
  // A stream of an order already final sends its state and ends.
  EventStreamClient late(port, path, bearer_of(org.sales));
  auto final_state = late.next(std::chrono::seconds(10));
  REQUIRE(final_state);
  CHECK(final_state->id == "3");
  CHECK(text_of(final_state->data, "status") == "FAILED");
  CHECK_FALSE(late.next(std::chrono::seconds(10)));
  CHECK(late.ended());

  CHECK(error_fields(require_problem(h.as(org.sales, "GET", path + "?after=x", "", kSse), 422)) ==
        std::vector<std::string>{"after"});
  require_problem(h.as(org.other_sales, "GET", path, "", kSse), 404);
  require_problem(h.as(org.sales, "GET", "/api/orders/" + random_uuid() + "/stream", "", kSse), 404);
  // Neither a WebSocket nor SSE asked for: 406.
  require_problem(h.as(org.sales, "GET", path), 406);
}

TEST_CASE("the stats count orders by status and revenue per shipping day, from events, and rebuild the same",
          "[orders][stats]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string theirs = h.create_customer(org.other_sales.id);
  const std::string pending = h.place_order(org.sales, customer, {{"P-1", 1}});
  const std::string failed = h.place_order(org.sales, customer, {{"P-1", 1}});
  const std::string shipped1 = h.place_order(org.sales, customer, {{"P-1", 2}});
  const std::string shipped2 = h.place_order(org.other_sales, theirs, {{"P-1", 3}});
  h.run("t_fail", fail_input(failed, "OUT_OF_STOCK"));
  for (const auto& id : {shipped1, shipped2})
    for (const char* s : {"RESERVED", "PAID", "SHIPPED"}) h.run("t_advance", advance_input(id, s));

  auto stats_of = [&](const Account& who) {
    auto r = h.as(who, "GET", "/api/orders/stats");
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  };
  auto count = [](const Poco::JSON::Object::Ptr& s, const std::string& status) {
    return s->getObject("counts")->getValue<int>(status);
  };
  auto settled = [&](const Account& who, int shipped, int failed_n, int pending_n) {
    Poco::JSON::Object::Ptr s;
    const bool ok = eventually(
        [&] {
          s = stats_of(who);
          return count(s, "SHIPPED") == shipped && count(s, "FAILED") == failed_n && count(s, "PENDING") == pending_n;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(100));
    INFO(json_of(*s));
    REQUIRE(ok);
    return s;
  };
  auto all = settled(h.admin(), 2, 1, 1);
  CHECK(count(all, "RESERVED") == 0);
  CHECK(count(all, "CANCELLED") == 0);
  auto days = all->getArray("revenueByDay");
  REQUIRE(days->size() == 1);
  CHECK(text_of(days->getObject(0), "revenue") == "50.00");
  CHECK(text_of(days->getObject(0), "currency") == "USD");
  CHECK(days->getObject(0)->getValue<int>("orders") == 2);
  const std::string today = *h.sql().scalar("select (now() at time zone 'UTC')::date::text");
  CHECK(text_of(days->getObject(0), "day") == today);

  // A MANAGER sees its team's orders only; SALES may not ask.
  auto team = settled(org.manager, 1, 1, 1);
  CHECK(text_of(team->getArray("revenueByDay")->getObject(0), "revenue") == "20.00");
  require_problem(h.as(org.sales, "GET", "/api/orders/stats"), 403);

  // The read-model lost: a rebuild replays order.status_changed into it.
  h.sql().exec("delete from orders.order_stats_rows");
  CHECK(count(stats_of(h.admin()), "SHIPPED") == 0);
  auto started = h.as(h.admin(), "POST", "/api/plugins/orders/rebuild");
  INFO(started.body);
  REQUIRE(started.status == 202);
  Poco::JSON::Object::Ptr status;
  REQUIRE(eventually(
      [&] {
        status = h.as(h.admin(), "GET", "/api/plugins/orders/rebuild").json();
        return text_of(status, "status") != "running";
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200)));
  CHECK(text_of(status, "status") == "done");
  auto rebuilt = stats_of(h.admin());
  CHECK(json_of(*rebuilt) == json_of(*all));
  (void)pending;
}

TEST_CASE("a delivered shipment makes the order DELIVERED and a refund marks its payment, through their events",
          "[orders][shipping][delivery]") {
  ShopHost h;
  h.create_product("P-1", "10.00", 100);
  Org org = make_org(h.auth());
  const std::string customer = h.create_customer(org.sales.id);
  const std::string id = h.place_order(org.sales, customer, {{"P-1", 1}});
  h.run("t_advance", advance_input(id, "RESERVED"));
  h.run("t_advance", advance_input(id, "PAID", R"(,"chargeId":"ch_7")"));
  auto shipment = h.run("t_ship", R"({"orderId":")" + id +
                                      R"(","address":{"name":"Ada","line1":"1 Row","city":"London","postalCode":"N1","country":"GB"}})");
  REQUIRE(shipment.status == "COMPLETED");
  const std::string tracking = text_of(shipment.reply, "trackingNumber");
  const std::string carrier = text_of(shipment.reply, "carrier");
  h.run("t_advance", advance_input(id, "SHIPPED", R"(,"trackingNumber":")" + tracking + R"(","carrier":")" + carrier + "\""));

  auto delivered = h.as(h.admin(), "POST", "/api/shipments/" + tracking + "/delivered");
  INFO(delivered.body);
  REQUIRE(delivered.status == 200);
  Poco::JSON::Object::Ptr order;
  REQUIRE(eventually([&] { return text_of(order = h.order(org.sales, id), "status") == "DELIVERED"; },
                     std::chrono::seconds(20), std::chrono::milliseconds(100)));
  CHECK(timeline_statuses(order) == std::vector<std::string>{"PENDING", "RESERVED", "PAID", "SHIPPED", "DELIVERED"});
  CHECK(text_of(order->getArray("timeline")->getObject(4), "event") == "shipment.delivered");
  CHECK(status_events(h, id).back()->getValue<bool>("final"));
  {
    // The stream of a DELIVERED order: its state, then the end.
    EventStreamClient stream(h.auth().host().port(), "/api/orders/" + id + "/stream",
                             {{"Authorization", bearer(org.sales.access_token)}});
    auto state = stream.next(std::chrono::seconds(10));
    REQUIRE(state);
    CHECK(text_of(state->data, "status") == "DELIVERED");
    CHECK_FALSE(stream.next(std::chrono::seconds(10)));
    CHECK(stream.ended());
  }
  // Delivered again: one event, one entry.
  CHECK(h.as(h.admin(), "POST", "/api/shipments/" + tracking + "/delivered").status == 200);
  CHECK(h.events("shipping", "shipment.delivered", id) == 1);

  // payment.refunded (emitted here by a workflow) marks the payment REFUNDED.
  auto refund = h.as(h.admin(), "POST", "/api/workflows/t_refund/instances",
                     R"({"input":{"orderId":")" + id + "\"}}");
  INFO(refund.body);
  REQUIRE(refund.status / 100 == 2);
  REQUIRE(eventually(
      [&] { return text_of(h.order(org.sales, id)->getObject("payment"), "status") == "REFUNDED"; },
      std::chrono::seconds(20), std::chrono::milliseconds(100)));
  CHECK(text_of(h.order(org.sales, id), "status") == "DELIVERED");
  CHECK(h.order(org.sales, id)->getArray("timeline")->size() == 5);
}
