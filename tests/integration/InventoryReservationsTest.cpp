// The inventory plugin's reservations against a real host and PostgreSQL,
// called as the order saga calls them (as the host, through the workflow
// engine, support/SystemCalls.hpp): 64 concurrent buyers of 10 units get
// exactly 10 reservations and never a negative stock; a replay counts
// nothing twice; a reservation is all lines or none; release and commit are
// idempotent; and the books (GET /api/inventory/balance) balance.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace itest;

namespace {

Headers admin() {
  return {{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "application/json"}};
}

struct StockHost {
  StockHost() : host({}, env(), HostUnderTest::Start::Later), calls(host) {
    host.add_shipped_plugin("inventory");
    host.start();
    auto entry = host.wait_for_plugin("inventory.so", "LOADED", std::chrono::seconds(20));
    INFO(host.process().log_tail(40));
    REQUIRE(entry);
    calls.wait_until_ready();
  }
  static std::map<std::string, std::string> env() {
    // Enough workers for many reservations to run at the same time.
    return {{"CRM_WORKFLOWS_POLL_MS", "20"},
            {"CRM_WORKFLOWS_WORKERS", "16"},
            {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"},
            {"CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8)},
            {"CRM_DB_POOL_SIZE", "16"}};
  }
  void create(const std::string& sku, int stock) {
    auto r = host.http().post("/api/products",
                              "{\"sku\":\"" + sku + "\",\"name\":\"" + sku + "\",\"price\":\"2.50\",\"currency\":\"USD\","
                              "\"stock\":" + std::to_string(stock) + "}",
                              admin());
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  Poco::JSON::Object::Ptr product(const std::string& sku) {
    auto r = host.http().get("/api/products/" + sku, admin());
    REQUIRE(r.status == 200);
    return r.json();
  }
  int available(const std::string& sku) { return product(sku)->getValue<int>("available"); }
  int reserved(const std::string& sku) { return product(sku)->getValue<int>("reserved"); }
  Poco::JSON::Object::Ptr balance() {
    auto r = host.http().get("/api/inventory/balance", admin());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }
  static std::string lines(const std::string& reservation,
                           const std::vector<std::pair<std::string, int>>& items) {
    std::string out = "{\"reservation\":\"" + reservation + "\",\"items\":[";
    for (size_t i = 0; i < items.size(); ++i)
      out += (i ? "," : "") + std::string("{\"sku\":\"") + items[i].first +
             "\",\"quantity\":" + std::to_string(items[i].second) + "}";
    return out + "]}";
  }
  SystemAnswer reserve(const std::string& reservation, const std::vector<std::pair<std::string, int>>& items) {
    return calls.call("inventory.reserve", lines(reservation, items));
  }
  SystemAnswer release(const std::string& reservation) {
    return calls.call("inventory.release", "{\"reservation\":\"" + reservation + "\"}");
  }
  SystemAnswer commit(const std::string& reservation) {
    return calls.call("inventory.commit", "{\"reservation\":\"" + reservation + "\"}");
  }

  HostUnderTest host;
  SystemCalls calls;
};

} // namespace

TEST_CASE("64 concurrent reservations of one unit against 10 available hold exactly 10, counted once",
          "[inventory][reservations][concurrency]") {
  StockHost shop;
  shop.create("last-ten", 10);

  // All 64 started before any can finish; the engine's 16 workers run them
  // side by side, each its own transaction.
  Http http(shop.host.port());
  std::vector<std::string> reservations, instances;
  for (int i = 0; i < 64; ++i) {
    reservations.push_back(random_uuid());
    instances.push_back(
        shop.calls.start("inventory.reserve", StockHost::lines(reservations.back(), {{"last-ten", 1}}), http));
  }
  int held = 0, refused = 0;
  std::vector<std::string> winners;
  for (size_t i = 0; i < instances.size(); ++i) {
    auto a = shop.calls.answer(instances[i], http);
    if (a.ok()) {
      CHECK(text_of(a.reply, "status") == "RESERVED");
      ++held;
      winners.push_back(reservations[i]);
    } else {
      INFO(a.message);
      CHECK(a.status == "CONFLICT");
      CHECK(contains(a.message, "OUT_OF_STOCK: last-ten has 0 available"));
      ++refused;
    }
  }
  CHECK(held == 10);
  CHECK(refused == 54);
  CHECK(shop.available("last-ten") == 0);
  CHECK(shop.reserved("last-ten") == 10);
  auto sql = shop.host.sql();
  CHECK(sql.count("select count(*) from inventory.reservations where status = 'RESERVED'") == 10);
  CHECK(sql.count("select coalesce(sum(quantity), 0) from inventory.reservation_items") == 10);
  CHECK(sql.count("select count(*) from inventory.crm_outbox where type = 'stock.reserved'") == 10);

  // Replays: a held reservation answers as before and holds nothing more; a
  // refused one is refused again.
  REQUIRE_FALSE(winners.empty());
  for (int i = 0; i < 3; ++i) {
    auto again = shop.reserve(winners.front(), {{"last-ten", 1}});
    REQUIRE(again.ok());
    CHECK(text_of(again.reply, "status") == "RESERVED");
  }
  CHECK(shop.reserved("last-ten") == 10);
  CHECK(sql.count("select count(*) from inventory.crm_outbox where type = 'stock.reserved'") == 10);
  auto balance = shop.balance();
  CHECK(balance->getValue<bool>("balanced"));
}

TEST_CASE("a reservation holds all its lines or none, locked in SKU order, and bad lines name their field",
          "[inventory][reservations]") {
  StockHost shop;
  shop.create("a-sku", 5);
  shop.create("b-sku", 2);
  const long long events = shop.host.sql().count("select count(*) from inventory.crm_outbox");

  auto short_of_b = shop.reserve(random_uuid(), {{"b-sku", 1}, {"a-sku", 3}, {"b-sku", 2}});
  CHECK(short_of_b.status == "CONFLICT");
  CHECK(contains(short_of_b.message, "OUT_OF_STOCK: b-sku has 2 available"));
  CHECK(shop.available("a-sku") == 5);
  CHECK(shop.available("b-sku") == 2);

  auto unknown = shop.reserve(random_uuid(), {{"a-sku", 1}, {"nope", 1}});
  CHECK(unknown.status == "INVALID");
  CHECK(unknown.fields == std::vector<std::string>{"items[1].sku"});
  auto zero = shop.calls.call("inventory.reserve",
                              "{\"reservation\":\"" + random_uuid() + "\",\"items\":[{\"sku\":\"a-sku\",\"quantity\":0},"
                              "{\"sku\":\"a b\",\"quantity\":1}]}");
  CHECK(zero.status == "INVALID");
  CHECK(zero.fields == std::vector<std::string>{"items[0].quantity", "items[1].sku"});
  auto empty = shop.calls.call("inventory.reserve", "{\"reservation\":\"" + random_uuid() + "\",\"items\":[]}");
  CHECK(empty.status == "INVALID");
  CHECK(empty.fields == std::vector<std::string>{"items"});
  auto no_id = shop.calls.call("inventory.reserve", R"({"reservation":"x","items":[{"sku":"a-sku","quantity":1}]})");
  CHECK(no_id.status == "INVALID");
  CHECK(no_id.fields == std::vector<std::string>{"reservation"});

  auto sql = shop.host.sql();
  CHECK(sql.count("select count(*) from inventory.reservations") == 0);
  CHECK(sql.count("select count(*) from inventory.crm_outbox") == events);

  // Two lines of one SKU are one line of their sum.
  const std::string order = random_uuid();
  auto both = shop.reserve(order, {{"b-sku", 1}, {"a-sku", 2}, {"a-sku", 1}});
  INFO(both.message);
  REQUIRE(both.ok());
  CHECK(shop.available("a-sku") == 2);
  CHECK(shop.available("b-sku") == 1);
  CHECK(sql.count("select count(*) from inventory.reservation_items where reservation = $1::uuid", {order}) == 2);
}

TEST_CASE("release and commit are idempotent, never undo each other, and the books balance",
          "[inventory][reservations][balance]") {
  StockHost shop;
  shop.create("pen", 10);
  shop.create("ink", 4);

  const std::string shipped = random_uuid(), given_back = random_uuid(), never = random_uuid();
  REQUIRE(shop.reserve(shipped, {{"pen", 3}, {"ink", 1}}).ok());
  REQUIRE(shop.reserve(given_back, {{"pen", 2}}).ok());
  CHECK(shop.available("pen") == 5);

  for (int i = 0; i < 2; ++i) {
    auto released = shop.release(given_back);
    REQUIRE(released.ok());
    CHECK(text_of(released.reply, "status") == "RELEASED");
  }
  CHECK(shop.available("pen") == 7);
  auto late = shop.reserve(given_back, {{"pen", 2}});
  CHECK(late.status == "CONFLICT");
  CHECK(contains(late.message, "reservation was released"));
  CHECK(shop.available("pen") == 7);

  for (int i = 0; i < 2; ++i) {
    auto committed = shop.commit(shipped);
    REQUIRE(committed.ok());
    CHECK(text_of(committed.reply, "status") == "COMMITTED");
  }
  auto pen = shop.product("pen");
  CHECK(pen->getValue<int>("stock") == 7);
  CHECK(pen->getValue<int>("reserved") == 0);
  CHECK(shop.product("ink")->getValue<int>("stock") == 3);
  CHECK(shop.release(shipped).status == "CONFLICT");
  CHECK(shop.commit(given_back).status == "CONFLICT");
  auto replay = shop.reserve(shipped, {{"pen", 3}, {"ink", 1}}); // a replay: the first reply, nothing more held
  REQUIRE(replay.ok());
  CHECK(text_of(replay.reply, "status") == "RESERVED");
  CHECK(shop.product("pen")->getValue<int>("stock") == 7);
  CHECK(shop.product("pen")->getValue<int>("reserved") == 0);

  // Released before anything was reserved (a compensation after a failed
  // reserve): NONE, and a late reserve of that order holds nothing.
  for (int i = 0; i < 2; ++i) {
    auto none = shop.release(never);
    REQUIRE(none.ok());
    CHECK(text_of(none.reply, "status") == "NONE");
  }
  CHECK(shop.reserve(never, {{"pen", 1}}).status == "CONFLICT");
  CHECK(shop.commit(random_uuid()).status == "NOT_FOUND");

  REQUIRE(shop.host.http().post("/api/products/pen/restock", R"({"quantity":5})", admin()).status == 200);
  const std::string open = random_uuid();
  REQUIRE(shop.reserve(open, {{"pen", 4}}).ok());

  auto books = shop.balance();
  INFO(json_of(*books));
  CHECK(books->getValue<bool>("balanced"));
  auto items = books->getArray("items");
  REQUIRE(items->size() == 2);
  auto ink = items->getObject(0), pen_books = items->getObject(1);
  CHECK(text_of(pen_books, "sku") == "pen");
  CHECK(pen_books->getValue<int>("initial") == 10);
  CHECK(pen_books->getValue<int>("restocked") == 5);
  CHECK(pen_books->getValue<int>("committed") == 3);
  CHECK(pen_books->getValue<int>("released") == 2);
  CHECK(pen_books->getValue<int>("stock") == 12);
  CHECK(pen_books->getValue<int>("reserved") == 4);
  CHECK(pen_books->getValue<int>("heldByReservations") == 4);
  CHECK(ink->getValue<int>("committed") == 1);

  // The books notice a unit that went missing behind the plugin's back.
  shop.host.sql().exec("update inventory.products set stock = stock - 1 where sku = 'ink'");
  CHECK_FALSE(shop.balance()->getValue<bool>("balanced"));
}

TEST_CASE("the database refuses a negative available stock whatever writes it", "[inventory][reservations]") {
  StockHost shop;
  shop.create("guarded", 1);
  auto sql = shop.host.sql();
  CHECK_THROWS(sql.exec("update inventory.products set reserved = 2 where sku = 'guarded'"));
  CHECK(shop.available("guarded") == 1);
}
