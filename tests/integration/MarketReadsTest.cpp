// The market plugin's reads against a real host and PostgreSQL: the
// catalogue of instruments (search, 409, 422 per field), the latest price,
// bars at 1m/5m/1h/1d against a hand-made series (points sent out of order
// across batches) and their refusals, and the operations other plugins call.
#include "support/MarketHost.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace itest;

namespace {

struct Bar {
  std::string at;
  double open, high, low, close, volume;
  bool operator==(const Bar& o) const {
    return at == o.at && open == o.open && high == o.high && low == o.low && close == o.close && volume == o.volume;
  }
};

std::ostream& operator<<(std::ostream& os, const Bar& b) {
  return os << "{" << b.at << " o" << b.open << " h" << b.high << " l" << b.low << " c" << b.close << " v" << b.volume
            << "}";
}

std::vector<Bar> bars_of(MarketHost& market, const std::string& query) {
  auto r = market.send("GET", "/api/market/instruments/BAR/bars?" + query, "", "SALES");
  INFO(query << " -> " << r.body);
  REQUIRE(r.status == 200);
  std::vector<Bar> out;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto b = items->getObject(static_cast<unsigned>(i));
    out.push_back({text_of(b, "at"), b->getValue<double>("open"), b->getValue<double>("high"),
                   b->getValue<double>("low"), b->getValue<double>("close"), b->getValue<double>("volume")});
  }
  return out;
}

// A hand-made series, sent in two batches out of time order, so the hourly
// bars are merged from both.
void load_series(MarketHost& market) {
  market.add_instrument("BAR");
  market.ingest(price_item("BAR", "2026-05-04T09:00:30Z", "12", "2") + "," +
                price_item("BAR", "2026-05-04T09:05:00Z", "15", "5") + "," +
                price_item("BAR", "2026-05-04T10:30:00Z", "20", "6") + "," +
                price_item("BAR", "2026-05-05T00:00:00Z", "30", "7"));
  market.ingest(price_item("BAR", "2026-05-04T09:00:00Z", "10", "1") + "," +
                price_item("BAR", "2026-05-04T09:01:10Z", "9", "3") + "," +
                price_item("BAR", "2026-05-04T09:04:59Z", "11", "4"));
}

} // namespace

TEST_CASE("an ADMIN adds instruments and anyone lists and searches them", "[market]") {
  MarketHost market;
  market.add_instrument("ACME", "Acme Rockets");
  market.add_instrument("BETA.L", "Beta Holdings");
  market.add_instrument("ACX", "Another Company");

  auto all = market.send("GET", "/api/market/instruments", "", "SALES");
  REQUIRE(all.status == 200);
  auto items = all.json()->getArray("items");
  REQUIRE(items->size() == 3);
  CHECK(text_of(items->getObject(0), "symbol") == "ACME");
  CHECK(text_of(items->getObject(0), "name") == "Acme Rockets");
  CHECK(text_of(items->getObject(0), "exchange") == "XNAS");
  CHECK(text_of(items->getObject(0), "currency") == "USD");

  auto symbols = [&](const std::string& q) {
    auto r = market.send("GET", "/api/market/instruments?q=" + q, "", "SALES");
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    auto list = r.json()->getArray("items");
    for (size_t i = 0; i < list->size(); ++i)
      out.push_back(text_of(list->getObject(static_cast<unsigned>(i)), "symbol"));
    return out;
  };
  CHECK(symbols("ac") == std::vector<std::string>{"ACME", "ACX"});
  CHECK(symbols("holdings") == std::vector<std::string>{"BETA.L"});
  CHECK(symbols("%25").empty()); // a LIKE wildcard is a character like any other

  auto taken = require_problem(market.send("POST", "/api/market/instruments",
                                           R"({"symbol":"ACME","name":"Again","exchange":"XNYS","currency":"USD"})"),
                               409);
  CHECK(error_fields(taken) == std::vector<std::string>{"symbol"});

  struct Case {
    std::string body, field;
  };
  const std::vector<Case> cases = {
      {R"({"name":"A","exchange":"X","currency":"USD"})", "symbol"},
      {R"({"symbol":"has space","name":"A","exchange":"X","currency":"USD"})", "symbol"},
      {R"({"symbol":"OK1","name":"","exchange":"X","currency":"USD"})", "name"},
      {R"({"symbol":"OK1","name":"   ","exchange":"X","currency":"USD"})", "name"},
      {R"({"symbol":"OK1","name":"A","exchange":"","currency":"USD"})", "exchange"},
      {R"({"symbol":"OK1","name":"A","exchange":"X","currency":"usd"})", "currency"},
      {R"({"symbol":"OK1","name":"A","exchange":"X","currency":"USD","sector":"tech"})", "sector"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    auto problem = require_problem(market.send("POST", "/api/market/instruments", c.body), 422);
    CHECK(error_fields(problem) == std::vector<std::string>{c.field});
  }
  CHECK(market.host.sql().count("select count(*) from market.instruments") == 3);
}

TEST_CASE("bars are the open, high, low, close and volume of each interval of a known series", "[market]") {
  MarketHost market;
  load_series(market);
  CHECK(bars_of(market, "from=2026-05-04T09:00:00Z&to=2026-05-04T09:06:00Z&interval=1m") ==
        std::vector<Bar>{{"2026-05-04T09:00:00Z", 10, 12, 10, 12, 3},
                         {"2026-05-04T09:01:00Z", 9, 9, 9, 9, 3},
                         {"2026-05-04T09:04:00Z", 11, 11, 11, 11, 4},
                         {"2026-05-04T09:05:00Z", 15, 15, 15, 15, 5}});
  CHECK(bars_of(market, "from=2026-05-04T09:00:00Z&to=2026-05-04T11:00:00Z&interval=5m") ==
        std::vector<Bar>{{"2026-05-04T09:00:00Z", 10, 12, 9, 11, 10},
                         {"2026-05-04T09:05:00Z", 15, 15, 15, 15, 5},
                         {"2026-05-04T10:30:00Z", 20, 20, 20, 20, 6}});
  CHECK(bars_of(market, "from=2026-05-04T00:00:00Z&to=2026-05-06T00:00:00Z&interval=1h") ==
        std::vector<Bar>{{"2026-05-04T09:00:00Z", 10, 15, 9, 15, 15},
                         {"2026-05-04T10:00:00Z", 20, 20, 20, 20, 6},
                         {"2026-05-05T00:00:00Z", 30, 30, 30, 30, 7}});
  const std::vector<Bar> days{{"2026-05-04T00:00:00Z", 10, 20, 9, 20, 21}, {"2026-05-05T00:00:00Z", 30, 30, 30, 30, 7}};
  CHECK(bars_of(market, "from=2026-05-01T00:00:00Z&to=2026-05-31T00:00:00Z&interval=1d") == days);
  // A bar covers its whole interval: a `from` inside a day starts at the day.
  CHECK(bars_of(market, "from=2026-05-04T12:00:00Z&to=2026-05-05T00:00:01Z&interval=1d") == days);
  // `to` is exclusive: the day of 05-05 starts at `to`.
  CHECK(bars_of(market, "from=2026-05-04T00:00:00Z&to=2026-05-05T00:00:00Z&interval=1d") == std::vector<Bar>{days[0]});
  CHECK(bars_of(market, "from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z&interval=1h").empty());
}

TEST_CASE("a bad bar query is refused on its parameter and an unknown symbol is 404", "[market]") {
  MarketHost market;
  market.add_instrument("BAR");
  struct Case {
    std::string query;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"from=2026-05-04T00:00:00Z&to=2026-05-05T00:00:00Z&interval=2m", {"interval"}},
      {"from=2026-05-04T00:00:00Z&to=2026-05-05T00:00:00Z", {"interval"}},
      {"to=2026-05-05T00:00:00Z&interval=1h", {"from"}},
      {"from=yesterday&to=today&interval=1h", {"from", "to"}},
      {"from=2026-05-05T00:00:00Z&to=2026-05-05T00:00:00Z&interval=1h", {"to"}},
      {"from=2026-05-06T00:00:00Z&to=2026-05-05T00:00:00Z&interval=1h", {"to"}},
      // A year of minutes is 525,600 bars: over the 10,000 returned at most.
      {"from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&interval=1m", {"to"}},
  };
  for (const auto& c : cases) {
    INFO(c.query);
    auto problem = require_problem(market.send("GET", "/api/market/instruments/BAR/bars?" + c.query, "", "SALES"), 422);
    CHECK(error_fields(problem) == c.fields);
  }
  require_problem(market.send("GET",
                              "/api/market/instruments/NOPE/bars?from=2026-05-04T00:00:00Z&to=2026-05-05T00:00:00Z&"
                              "interval=1h",
                              "", "SALES"),
                  404);
}

TEST_CASE("the latest price of an instrument, 404 for an unknown one or one without prices", "[market]") {
  MarketHost market;
  load_series(market);
  market.add_instrument("EMPTY");
  auto r = market.send("GET", "/api/market/instruments/BAR/latest", "", "SALES");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(text_of(r.json(), "symbol") == "BAR");
  CHECK(r.json()->getValue<double>("price") == 30);
  CHECK(text_of(r.json(), "at") == "2026-05-05T00:00:00Z");
  CHECK(r.json()->getValue<double>("volume") == 7);
  require_problem(market.send("GET", "/api/market/instruments/NOPE/latest", "", "SALES"), 404);
  require_problem(market.send("GET", "/api/market/instruments/EMPTY/latest", "", "SALES"), 404);
}

TEST_CASE("other plugins read instruments, the latest price, history and the price at a time", "[market]") {
  MarketHost market;
  load_series(market);
  market.calls.wait_until_ready();

  auto instruments = market.calls.call("market.instruments", "{}");
  REQUIRE(instruments.ok());
  auto items = instruments.reply->getArray("items");
  REQUIRE(items->size() == 1);
  CHECK(text_of(items->getObject(0), "symbol") == "BAR");
  CHECK(text_of(items->getObject(0), "currency") == "USD");

  auto latest = market.calls.call("market.latest", R"({"symbol":"BAR"})");
  REQUIRE(latest.ok());
  CHECK(latest.reply->getValue<double>("price") == 30);
  CHECK(text_of(latest.reply, "at") == "2026-05-05T00:00:00Z");
  CHECK(market.calls.call("market.latest", R"({"symbol":"NOPE"})").status == "NOT_FOUND");

  auto history = market.calls.call("market.history",
                                   R"({"symbol":"BAR","from":"2026-05-04T09:00:30Z","to":"2026-05-04T10:30:00Z"})");
  REQUIRE(history.ok());
  auto points = history.reply->getArray("items");
  std::vector<std::string> times;
  for (size_t i = 0; i < points->size(); ++i)
    times.push_back(text_of(points->getObject(static_cast<unsigned>(i)), "at"));
  CHECK(times == std::vector<std::string>{"2026-05-04T09:00:30Z", "2026-05-04T09:01:10Z", "2026-05-04T09:04:59Z",
                                          "2026-05-04T09:05:00Z"});
  CHECK(points->getObject(0)->getValue<double>("price") == 12);
  CHECK(points->getObject(0)->getValue<double>("volume") == 2);
  auto limited = market.calls.call(
      "market.history", R"({"symbol":"BAR","from":"2026-05-04T00:00:00Z","to":"2026-05-06T00:00:00Z","limit":2})");
  REQUIRE(limited.ok());
  CHECK(limited.reply->getArray("items")->size() == 2);
  auto bad = market.calls.call("market.history", R"({"symbol":"BAR","from":"soon","to":"2026-05-06T00:00:00Z"})");
  CHECK(bad.status == "INVALID");
  CHECK(bad.fields == std::vector<std::string>{"from"});

  auto at = market.calls.call("market.price_at", R"({"symbol":"BAR","at":"2026-05-04T10:00:00Z"})");
  REQUIRE(at.ok());
  CHECK(at.reply->getValue<double>("price") == 15);
  CHECK(text_of(at.reply, "at") == "2026-05-04T09:05:00Z");
  auto exact = market.calls.call("market.price_at", R"({"symbol":"BAR","at":"2026-05-04T10:30:00Z"})");
  REQUIRE(exact.ok());
  CHECK(exact.reply->getValue<double>("price") == 20);
  CHECK(market.calls.call("market.price_at", R"({"symbol":"BAR","at":"2026-05-04T08:00:00Z"})").status == "NOT_FOUND");
}
