// The alerts plugin on a real host with the shipped market and analytics
// plugins: watchlists and rules are the caller's own (another user's rule is
// a 404), every bad field of a rule is a 422 on its path with nothing
// stored, and price batches posted to the market fire PRICE_ALERT
// notifications exactly once per crossing (ABOVE, BELOW, MOVE_PCT), also
// when a price event is delivered again, and live to the owner's stream.
#include "support/AnalyticsHost.hpp"
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/StreamClient.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// A user of the alerts routes: any signed-in role will do.
struct User {
  std::string id = random_uuid();
  Headers headers() const {
    return {{"Authorization", bearer(mint_token("SALES", id))}, {"Content-Type", "application/json"}};
  }
};

// The price time `minutes` after an hour ago, as RFC 3339 in UTC: a test's
// series is laid out on this minute grid, in the past the market accepts.
std::string minute(int minutes) {
  static const std::time_t hour_ago = std::time(nullptr) / 60 * 60 - 3600;
  const std::time_t t = hour_ago + minutes * 60;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string point(const std::string& symbol, int at_minute, const std::string& price) {
  return R"({"symbol":")" + symbol + R"(","at":")" + minute(at_minute) + R"(","price":)" + price + "}";
}

class AlertsHost {
public:
  explicit AlertsHost() : host({}, {{"CRM_WORKFLOWS_POLL_MS", "50"}}, HostUnderTest::Start::Later), calls(host) {
    for (const char* name : {"market", "alerts", "analytics"}) host.add_shipped_plugin(name);
    host.start();
    for (const char* file : {"market.so", "alerts.so", "analytics.so"}) {
      auto entry = host.wait_for_plugin(file, "LOADED", 20s);
      INFO(file << ": " << host.process().log_tail(40));
      REQUIRE(entry);
    }
  }

  Response send(const User& who, const std::string& method, const std::string& path, const std::string& body = "") {
    return host.http().request(method, path, body, who.headers());
  }

  void add_instrument(const std::string& symbol) {
    auto r = host.http().request(
        "POST", "/api/market/instruments",
        R"({"symbol":")" + symbol + R"(","name":")" + symbol + R"( Corp","exchange":"XNAS","currency":"USD"})",
        {{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
  }

  // Posts a batch to the market and waits until the alerts plugin has
  // handled every price event so far. Returns the market's {accepted, duplicates}.
  Poco::JSON::Object::Ptr post_prices(const std::vector<std::string>& points) {
    std::string items;
    for (const auto& p : points) items += (items.empty() ? "" : ",") + p;
    auto r = host.http().request(
        "POST", "/api/market/prices", R"({"prices":[)" + items + "]}",
        {{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 202);
    wait_until_evaluated();
    return r.json();
  }

  void wait_until_evaluated() {
    auto sql = host.sql();
    INFO(host.process().log_tail(40));
    REQUIRE(eventually(
        [&] {
          return sql.count("select count(*) from market.crm_outbox o where o.type = 'market.prices_updated' and "
                           "not exists (select 1 from alerts.crm_inbox i where i.event_id = o.id "
                           "and i.consumer = 'alerts__on_prices_updated')") == 0;
        },
        20s));
  }

  // Makes a rule; returns its JSON.
  Poco::JSON::Object::Ptr rule(const User& who, const std::string& body) {
    auto r = send(who, "POST", "/api/market/alerts", body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  long long price_alerts(const User& who) {
    return host.sql().count("select count(*) from analytics.notifications where user_id = $1::uuid "
                            "and kind = 'PRICE_ALERT'",
                            {who.id});
  }

  long long rules() { return host.sql().count("select count(*) from alerts.rules"); }

  HostUnderTest host;
  SystemCalls calls;
};

} // namespace

TEST_CASE("a watchlist holds the caller's own known symbols and the watched symbols are everyone's", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.add_instrument("GLOBEX");
  User alice, bob;

  auto added = alerts.send(alice, "POST", "/api/market/watchlist", R"({"symbol":"ACME"})");
  INFO(added.body);
  REQUIRE(added.status == 201);
  CHECK(text_of(added.json(), "symbol") == "ACME");
  // Adding it again answers the same row.
  auto again = alerts.send(alice, "POST", "/api/market/watchlist", R"({"symbol":"ACME"})");
  CHECK(again.status == 201);
  CHECK(text_of(again.json(), "addedAt") == text_of(added.json(), "addedAt"));
  REQUIRE(alerts.send(bob, "POST", "/api/market/watchlist", R"({"symbol":"GLOBEX"})").status == 201);

  auto unknown = alerts.send(alice, "POST", "/api/market/watchlist", R"({"symbol":"NOPE"})");
  CHECK(error_fields(require_problem(unknown, 422)) == std::vector<std::string>{"symbol"});
  auto hostile = alerts.send(alice, "POST", "/api/market/watchlist", R"({"symbol":"A'; drop table x;--"})");
  CHECK(error_fields(require_problem(hostile, 422)) == std::vector<std::string>{"symbol"});

  auto mine = alerts.send(alice, "GET", "/api/market/watchlist");
  REQUIRE(mine.status == 200);
  REQUIRE(mine.json()->getArray("items")->size() == 1);
  CHECK(text_of(mine.json()->getArray("items")->getObject(0), "symbol") == "ACME");

  alerts.calls.wait_until_ready();
  auto watched = alerts.calls.call("alerts.watched_symbols", "{}");
  REQUIRE(watched.ok());
  auto symbols = watched.reply->getArray("symbols");
  REQUIRE(symbols);
  CHECK(symbols->size() == 2);
  CHECK(symbols->getElement<std::string>(0) == "ACME");
  CHECK(symbols->getElement<std::string>(1) == "GLOBEX");

  // Bob cannot take ACME off Alice's list: it is not on his.
  CHECK(alerts.send(bob, "DELETE", "/api/market/watchlist/ACME").status == 404);
  CHECK(alerts.send(alice, "DELETE", "/api/market/watchlist/ACME").status == 204);
  CHECK(alerts.send(alice, "DELETE", "/api/market/watchlist/ACME").status == 404);
  CHECK(alerts.send(alice, "GET", "/api/market/watchlist").json()->getArray("items")->size() == 0);
}

TEST_CASE("alert rules are refused on each bad field with nothing stored and are their owner's alone", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.post_prices({point("ACME", 0, "100")});
  User alice, bob;

  struct Bad {
    std::string body;
    std::vector<std::string> fields;
  };
  const std::vector<Bad> bad{
      {R"({"symbol":"ACME","kind":"SIDEWAYS","threshold":10})", {"kind"}},
      {R"({"symbol":"ACME","kind":"ABOVE","threshold":-5})", {"threshold"}},
      {R"({"symbol":"ACME","kind":"BELOW","threshold":0})", {"threshold"}},
      {R"({"symbol":"ACME","kind":"ABOVE","threshold":"high"})", {"threshold"}},
      {R"({"symbol":"ACME","kind":"ABOVE","threshold":110,"windowMinutes":5})", {"windowMinutes"}},
      {R"({"symbol":"ACME","kind":"MOVE_PCT","threshold":5})", {"windowMinutes"}},
      {R"({"symbol":"ACME","kind":"MOVE_PCT","threshold":5,"windowMinutes":0})", {"windowMinutes"}},
      {R"({"symbol":"ACME","kind":"MOVE_PCT","threshold":5,"windowMinutes":10081})", {"windowMinutes"}},
      {R"({"symbol":"ACME","kind":"MOVE_PCT","threshold":-1,"windowMinutes":0})", {"threshold", "windowMinutes"}},
      {R"({"symbol":"NOPE","kind":"ABOVE","threshold":110})", {"symbol"}},
      {R"({"kind":"ABOVE","threshold":110})", {"symbol"}},
  };
  for (const auto& b : bad) {
    INFO(b.body);
    auto r = alerts.send(alice, "POST", "/api/market/alerts", b.body);
    CHECK(error_fields(require_problem(r, 422)) == b.fields);
  }
  // A number no double holds is not JSON the host reads at all.
  require_problem(
      alerts.send(alice, "POST", "/api/market/alerts", R"({"symbol":"ACME","kind":"ABOVE","threshold":1e999})"), 400);
  CHECK(alerts.rules() == 0);

  // A rule made where its condition already holds waits for a crossing.
  auto above = alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":110})");
  CHECK(above->getValue<bool>("armed"));
  CHECK(above->getValue<double>("threshold") == 110.0);
  CHECK(above->isNull("windowMinutes"));
  auto held = alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":90})");
  CHECK_FALSE(held->getValue<bool>("armed"));
  auto move = alerts.rule(alice, R"({"symbol":"ACME","kind":"MOVE_PCT","threshold":2.5,"windowMinutes":60})");
  CHECK(move->getValue<int>("windowMinutes") == 60);
  CHECK(text_of(move, "kind") == "MOVE_PCT");

  auto list = alerts.send(alice, "GET", "/api/market/alerts");
  REQUIRE(list.status == 200);
  CHECK(list.json()->getArray("items")->size() == 3);
  auto page = alerts.send(alice, "GET", "/api/market/alerts?limit=2");
  REQUIRE(page.status == 200);
  CHECK(page.json()->getArray("items")->size() == 2);
  auto rest = alerts.send(alice, "GET", "/api/market/alerts?limit=2&cursor=" + text_of(page.json(), "nextCursor"));
  REQUIRE(rest.status == 200);
  REQUIRE(rest.json()->getArray("items")->size() == 1);
  CHECK(text_of(rest.json()->getArray("items")->getObject(0), "id") == text_of(move, "id"));

  // Bob sees none of them, cannot read or delete one.
  const std::string id = text_of(above, "id");
  CHECK(alerts.send(bob, "GET", "/api/market/alerts").json()->getArray("items")->size() == 0);
  require_problem(alerts.send(bob, "GET", "/api/market/alerts/" + id), 404);
  require_problem(alerts.send(bob, "DELETE", "/api/market/alerts/" + id), 404);
  require_problem(alerts.send(alice, "GET", "/api/market/alerts/not-a-rule"), 404);
  CHECK(alerts.send(alice, "GET", "/api/market/alerts/" + id).status == 200);

  CHECK(alerts.send(alice, "DELETE", "/api/market/alerts/" + id).status == 204);
  require_problem(alerts.send(alice, "GET", "/api/market/alerts/" + id), 404);
  CHECK(alerts.rules() == 2);
}

TEST_CASE("an ABOVE rule fires one PRICE_ALERT per crossing and again only after the price crossed back", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.post_prices({point("ACME", 0, "95")});
  User alice, bob;
  auto rule = alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":100})");
  alerts.rule(bob, R"({"symbol":"ACME","kind":"ABOVE","threshold":200})");
  const std::string id = text_of(rule, "id");

  // 101 at minute 2 crosses.
  alerts.post_prices({point("ACME", 1, "97"), point("ACME", 2, "101")});
  CHECK(alerts.price_alerts(alice) == 1);
  CHECK(alerts.price_alerts(bob) == 0);
  auto notification = alerts.host.sql().query(
      "select resource_type, resource_id, title from analytics.notifications where user_id = $1::uuid", {alice.id});
  REQUIRE(notification.size() == 1);
  CHECK(*notification[0][0] == "alert_rule");
  CHECK(*notification[0][1] == id);
  CHECK(contains(*notification[0][2], "ACME rose to 101"));

  // Staying above: no new crossing.
  alerts.post_prices({point("ACME", 3, "105")});
  alerts.post_prices({point("ACME", 4, "100.5")});
  CHECK(alerts.price_alerts(alice) == 1);

  // Back below re-arms; the exact threshold crosses again.
  alerts.post_prices({point("ACME", 5, "99.99")});
  auto rearmed = alerts.send(alice, "GET", "/api/market/alerts/" + id).json();
  CHECK(rearmed->getValue<bool>("armed"));
  CHECK(alerts.price_alerts(alice) == 1);
  alerts.post_prices({point("ACME", 6, "100")});
  CHECK(alerts.price_alerts(alice) == 2);
  auto fired = alerts.send(alice, "GET", "/api/market/alerts/" + id).json();
  CHECK_FALSE(fired->getValue<bool>("armed"));
  CHECK(fired->getValue<int>("firedCount") == 2);
  CHECK(text_of(fired, "lastFiredAt") == minute(6).substr(0, 19) + ".000Z");
  CHECK(alerts.host.sql().count("select count(*) from alerts.fired_alerts") == 2);
}

TEST_CASE("a batch that crosses a threshold and comes back within itself fires once and ends re-armed", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.post_prices({point("ACME", 0, "95")});
  User alice, bob;
  const std::string above = text_of(alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":100})"), "id");
  const std::string below = text_of(alerts.rule(bob, R"({"symbol":"ACME","kind":"BELOW","threshold":90})"), "id");
  auto armed = [&](const User& who, const std::string& id) {
    return alerts.send(who, "GET", "/api/market/alerts/" + id).json()->getValue<bool>("armed");
  };

  // Up over 100 and back under in one batch (its last point 99): one alert
  // at the batch's high, and the rule is armed again.
  alerts.post_prices({point("ACME", 1, "98"), point("ACME", 2, "102.5"), point("ACME", 3, "99")});
  CHECK(alerts.price_alerts(alice) == 1);
  CHECK(armed(alice, above));
  auto title = alerts.host.sql().query("select title from analytics.notifications where user_id = $1::uuid", {alice.id});
  REQUIRE(title.size() == 1);
  CHECK(contains(*title[0][0], "ACME rose to 102.5"));
  // Armed again, so the next crossing fires, and this one stays over.
  alerts.post_prices({point("ACME", 4, "101")});
  CHECK(alerts.price_alerts(alice) == 2);
  CHECK_FALSE(armed(alice, above));
  // Fired: a batch that dips under and comes back over is a new crossing.
  alerts.post_prices({point("ACME", 5, "99.5"), point("ACME", 6, "100.5")});
  CHECK(alerts.price_alerts(alice) == 3);
  CHECK_FALSE(armed(alice, above));

  // BELOW, down through 90 and back up in one batch.
  alerts.post_prices({point("ACME", 7, "95"), point("ACME", 8, "89"), point("ACME", 9, "92")});
  CHECK(alerts.price_alerts(bob) == 1);
  CHECK(armed(bob, below));
  CHECK(alerts.price_alerts(alice) == 3);
  CHECK(alerts.host.sql().count("select count(*) from alerts.fired_alerts") == 4);
}

TEST_CASE("BELOW and MOVE_PCT rules fire once per crossing", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.add_instrument("INITECH");
  alerts.post_prices({point("ACME", 0, "60"), point("INITECH", 0, "100")});
  User alice, bob;
  alerts.rule(alice, R"({"symbol":"ACME","kind":"BELOW","threshold":50})");
  alerts.rule(bob, R"({"symbol":"INITECH","kind":"MOVE_PCT","threshold":5,"windowMinutes":10})");

  // BELOW: 49 fires, 45 does not, 51 re-arms, exactly 50 fires.
  for (auto [at, price] : std::vector<std::pair<int, const char*>>{{1, "49"}, {2, "45"}, {3, "51"}, {4, "50"}})
    alerts.post_prices({point("ACME", at, price)});
  CHECK(alerts.price_alerts(alice) == 2);

  // MOVE_PCT against the last price at or before ten minutes earlier:
  // minute 11: 101 vs 100 (1 %); minute 12: 106 vs 100 (6 %) fires; minute
  // 13: 107 vs 100 (7 %) is the same crossing; minute 30: 107 vs 107 (minute
  // 13's) re-arms; minute 31: 96 vs 107 (-10.3 %) fires.
  alerts.post_prices({point("INITECH", 11, "101")});
  CHECK(alerts.price_alerts(bob) == 0);
  alerts.post_prices({point("INITECH", 12, "106")});
  CHECK(alerts.price_alerts(bob) == 1);
  alerts.post_prices({point("INITECH", 13, "107")});
  CHECK(alerts.price_alerts(bob) == 1);
  alerts.post_prices({point("INITECH", 30, "107")});
  CHECK(alerts.price_alerts(bob) == 1);
  alerts.post_prices({point("INITECH", 31, "96")});
  CHECK(alerts.price_alerts(bob) == 2);
  CHECK(alerts.host.sql().count("select count(*) from alerts.fired_alerts where move_pct > 10") == 1);
  CHECK(alerts.price_alerts(alice) == 2);
}

TEST_CASE("a price event delivered again or out of order fires nothing twice", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.post_prices({point("ACME", 0, "95")});
  User alice;
  alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":100})");
  alerts.post_prices({point("ACME", 1, "101")});
  REQUIRE(alerts.price_alerts(alice) == 1);

  // The same batch again: duplicates only, no event, no alert.
  auto again = alerts.post_prices({point("ACME", 1, "101")});
  CHECK(again->getValue<int>("duplicates") == 1);
  CHECK(alerts.price_alerts(alice) == 1);

  // The crossing's event, and the older one before it, published again
  // under new ids (the inbox does not know them): the alerts plugin sees
  // prices it has already passed and changes nothing.
  auto sql = alerts.host.sql();
  const auto events = sql.query("select data::text from market.crm_outbox where type = 'market.prices_updated' "
                                "order by seq");
  REQUIRE(events.size() == 2);
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    publish_event(sql, "market.prices_updated", "ACME", *(*it)[0], "market");
  alerts.wait_until_evaluated();
  REQUIRE(eventually(
      [&] {
        return sql.count("select count(*) from alerts.crm_inbox where consumer = 'alerts__on_prices_updated'") == 4;
      },
      20s));
  CHECK(alerts.price_alerts(alice) == 1);
  // Had the older price (95) re-armed the rule, 102 would fire now.
  alerts.post_prices({point("ACME", 2, "102")});
  CHECK(alerts.price_alerts(alice) == 1);
  CHECK(sql.count("select count(*) from alerts.fired_alerts") == 1);
}

TEST_CASE("a PRICE_ALERT reaches its owner's notification stream and no one else's", "[alerts]") {
  AlertsHost alerts;
  alerts.add_instrument("ACME");
  alerts.post_prices({point("ACME", 0, "95")});
  User alice, bob;
  const std::string id = text_of(alerts.rule(alice, R"({"symbol":"ACME","kind":"ABOVE","threshold":100})"), "id");
  StreamClient alice_stream(alerts.host.port(), mint_token("SALES", alice.id));
  StreamClient bob_stream(alerts.host.port(), mint_token("SALES", bob.id));
  REQUIRE(alice_stream.ready());
  REQUIRE(bob_stream.ready());

  alerts.post_prices({point("ACME", 1, "101.25")});
  auto frame = alice_stream.next(10s);
  REQUIRE(frame);
  CHECK(text_of(*frame, "type") == "notification.created");
  auto data = (*frame)->getObject("data");
  REQUIRE(data);
  CHECK(text_of(data, "kind") == "PRICE_ALERT");
  CHECK(text_of(data, "userId") == alice.id);
  CHECK(text_of(data, "resourceId") == id);
  CHECK(contains(text_of(data, "title"), "101.25"));
  CHECK_FALSE(bob_stream.next(500ms));
}
