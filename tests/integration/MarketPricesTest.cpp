// The market plugin's price ingestion against a real host and PostgreSQL:
// every bad item refused with its path and nothing stored, a batch over
// 10,000 points refused, duplicates idempotent, a jump stored flagged with
// market.price_flagged, one market.prices_updated per symbol with its last
// price, and only an ADMIN writes.
#include "support/MarketHost.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("every bad price is refused on its item's field path and nothing is stored", "[market]") {
  MarketHost market;
  market.add_instrument("ACME");
  const std::string ok = price_item("ACME", "2026-01-05T10:00:00Z", "10.5", "100");
  const std::vector<std::string> items = {
      ok,                                                                          // 0
      price_item("ACME", "2026-01-05T10:01:00Z", "0"),                             // 1 zero
      price_item("ACME", "2026-01-05T10:02:00Z", "-3.5"),                          // 2 negative
      price_item("ACME", "2026-01-05T10:03:00Z", "\"NaN\""),                       // 3 not finite
      price_item("ACME", "2026-01-05T10:04:00Z", "\"Infinity\""),                  // 4 not finite
      price_item("ACME", "2026-01-05T10:05:00Z", "12", "-1"),                      // 5 volume below 0
      price_item("NOPE", "2026-01-05T10:06:00Z", "12"),                            // 6 unknown symbol
      price_item("ACME", "2026-13-05T10:07:00Z", "12"),                            // 7 no such month
      price_item("ACME", "yesterday", "12"),                                       // 8 not a time
      price_item("ACME", utc_from_now(10min), "12"),                               // 9 too far ahead
      R"({"symbol":"ACME","at":"2026-01-05T10:10:00Z"})",                          // 10 no price
      R"("ACME,2026-01-05T10:11:00Z,12")",                                         // 11 not an object
      R"({"symbol":"ACME","at":"2026-01-05T10:12:00Z","price":1,"colour":"red"})", // 12 unknown field
      price_item("bad symbol!", "2026-01-05T10:13:00Z", "12"),                     // 13 bad symbol
      price_item("ACME", "2026-01-05T10:14:00Z", "true"),                          // 14 not a number
      ok,
  };
  std::string body;
  for (const auto& item : items) body += (body.empty() ? "" : ",") + item;
  auto problem = require_problem(market.post_prices(body), 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"prices[1].price", "prices[2].price", "prices[3].price",
                                                          "prices[4].price", "prices[5].volume", "prices[6].symbol",
                                                          "prices[7].at", "prices[8].at", "prices[9].at",
                                                          "prices[10].price", "prices[11]", "prices[12].colour",
                                                          "prices[13].symbol", "prices[14].price"});

  // Only the database's refusals: an unknown symbol, a time ahead.
  problem = require_problem(market.post_prices(ok + "," + items[6] + "," + items[9]), 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"prices[1].symbol", "prices[2].at"});
  CHECK(market.prices() == 0);
  CHECK(market.events("market.prices_updated") == 0);

  // A time just within the tolerance (60 s by default) is taken.
  CHECK(market.ingest(price_item("ACME", utc_from_now(30s), "12")) == std::pair{1, 0});

  // Bodies the schema refuses: no prices, an empty list, something else.
  for (const std::string bad :
       {R"({})", R"({"prices":[]})", R"({"prices":{"symbol":"ACME"}})", R"({"prices":[],"extra":1})"}) {
    INFO(bad);
    auto r = market.send("POST", "/api/market/prices", bad);
    auto p = require_problem(r, 422);
    CHECK_FALSE(error_fields(p).empty());
  }
  CHECK(market.prices() == 1);
}

TEST_CASE("a batch of 10,001 points is refused whole and a batch of 10,000 is taken", "[market]") {
  MarketHost market;
  market.add_instrument("BIG");
  auto items = [](int n) {
    std::string body;
    for (int i = 0; i < n; ++i) {
      char at[32];
      std::snprintf(at, sizeof at, "2025-03-%02dT%02d:%02d:00Z", 1 + i / 1440, i / 60 % 24, i % 60);
      body += (i ? "," : "") + price_item("BIG", at, std::to_string(100 + i % 7));
    }
    return body;
  };
  auto problem = require_problem(market.post_prices(items(10001)), 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"prices"});
  CHECK(market.prices() == 0);
  CHECK(market.ingest(items(10000)) == std::pair{10000, 0});
  CHECK(market.prices() == 10000);
  CHECK(market.events("market.prices_updated") == 1);
}

TEST_CASE("a repeated (symbol, at) is a duplicate, not an error, in the batch or already stored", "[market]") {
  MarketHost market;
  market.add_instrument("DUP");
  const std::string a = price_item("DUP", "2026-02-02T09:00:00Z", "50", "10");
  const std::string b = price_item("DUP", "2026-02-02T09:01:00Z", "51", "20");
  // The same point twice in one batch: the first is kept.
  CHECK(market.ingest(a + "," + b + "," + price_item("DUP", "2026-02-02T09:00:00Z", "55")) == std::pair{2, 1});
  CHECK(market.ingest(a + "," + b) == std::pair{0, 2});
  CHECK(market.prices() == 2);
  CHECK(market.host.sql().scalar("select price from market.prices where at = '2026-02-02T09:00:00Z'") == "50");
  // A batch of duplicates only is no news: one event, from the first batch.
  CHECK(market.events("market.prices_updated") == 1);
  // Half new, half stored: the new half is taken.
  CHECK(market.ingest(b + "," + price_item("DUP", "2026-02-02T09:02:00Z", "52")) == std::pair{1, 1});
  CHECK(market.prices() == 3);
}

TEST_CASE("a jump beyond flag_jump_pct is stored flagged and emits market.price_flagged", "[market]") {
  MarketHost market(std::map<std::string, std::string>{{"CRM_PLUGIN_MARKET_FLAG_JUMP_PCT", "25"}});
  market.add_instrument("JMP");
  market.add_instrument("CALM");
  // 100 -> 101 (1%), -> 130 (28.7% from 101: flagged), -> 131 (from 130: not).
  CHECK(market.ingest(price_item("JMP", "2026-03-01T10:00:00Z", "100") + "," +
                      price_item("JMP", "2026-03-01T10:02:00Z", "130") + "," +
                      price_item("JMP", "2026-03-01T10:01:00Z", "101") + "," +
                      price_item("CALM", "2026-03-01T10:00:00Z", "10")) == std::pair{4, 0});
  // Across batches: the previous price is the stored one (131 -> 80: -38.9%).
  CHECK(market.ingest(price_item("JMP", "2026-03-01T10:03:00Z", "131") + "," +
                      price_item("JMP", "2026-03-01T10:04:00Z", "80") + "," +
                      price_item("CALM", "2026-03-01T10:01:00Z", "12")) == std::pair{3, 0});
  auto flagged = market.host.sql().query("select symbol, market.iso_time(at) from market.prices where flagged "
                                         "order by at");
  REQUIRE(flagged.size() == 2);
  CHECK(*flagged[0][1] == "2026-03-01T10:02:00Z");
  CHECK(*flagged[1][1] == "2026-03-01T10:04:00Z");

  auto events = market.event_data("market.price_flagged");
  REQUIRE(events.size() == 2);
  CHECK(text_of(events[0], "symbol") == "JMP");
  CHECK(text_of(events[0], "at") == "2026-03-01T10:02:00Z");
  CHECK(events[0]->getValue<double>("price") == 130);
  CHECK(events[0]->getValue<double>("previousPrice") == 101);
  CHECK(events[0]->getValue<double>("changePct") == Approx(28.7129).epsilon(1e-4));
  CHECK(events[1]->getValue<double>("previousPrice") == 131);
  CHECK(events[1]->getValue<double>("changePct") == Approx(-38.9313).epsilon(1e-4));
  // CALM moved 20%: under this host's 25%.
  CHECK(market.host.sql().count("select count(*) from market.prices where symbol = 'CALM' and flagged") == 0);
}

TEST_CASE("each accepted batch emits one market.prices_updated per symbol with its last price", "[market]") {
  MarketHost market;
  market.add_instrument("AAA");
  market.add_instrument("BBB");
  CHECK(market.ingest(price_item("AAA", "2026-04-01T10:05:00Z", "11", "5") + "," +
                      price_item("BBB", "2026-04-01T10:00:00Z", "20") + "," +
                      price_item("AAA", "2026-04-01T10:00:00Z", "10", "1") + "," +
                      price_item("AAA", "2026-04-01T10:03:00Z", "10.5", "2")) == std::pair{4, 0});
  auto events = market.event_data("market.prices_updated");
  REQUIRE(events.size() == 2);
  std::map<std::string, Poco::JSON::Object::Ptr> by_symbol;
  for (const auto& e : events) by_symbol[text_of(e, "symbol")] = e;
  REQUIRE(by_symbol.count("AAA"));
  CHECK(by_symbol["AAA"]->getValue<double>("price") == 11);
  CHECK(text_of(by_symbol["AAA"], "at") == "2026-04-01T10:05:00Z");
  CHECK(by_symbol["AAA"]->getValue<double>("volume") == 5);
  CHECK(by_symbol["AAA"]->getValue<int>("count") == 3);
  CHECK(by_symbol["AAA"]->isNull("previousPrice"));
  REQUIRE(by_symbol.count("BBB"));
  CHECK(by_symbol["BBB"]->getValue<double>("price") == 20);
  CHECK(by_symbol["BBB"]->getValue<int>("count") == 1);
  CHECK(by_symbol["BBB"]->isNull("volume"));

  CHECK(market.ingest(price_item("AAA", "2026-04-01T10:06:00Z", "11.25")) == std::pair{1, 0});
  events = market.event_data("market.prices_updated");
  REQUIRE(events.size() == 3);
  CHECK(events[2]->getValue<double>("price") == 11.25);
  CHECK(events[2]->getValue<double>("previousPrice") == 11);
  CHECK(events[2]->getValue<int>("count") == 1);
  // The subject is the symbol.
  CHECK(market.host.sql().count("select count(*) from market.crm_outbox where subject = 'AAA'") == 2);
}

TEST_CASE("only an ADMIN adds instruments or prices", "[market]") {
  MarketHost market;
  market.add_instrument("ROLE");
  const std::string item = price_item("ROLE", "2026-01-05T10:00:00Z", "10");
  for (const std::string role : {"SALES", "MANAGER"}) {
    require_problem(market.post_prices(item, role), 403);
    require_problem(market.send("POST", "/api/market/instruments",
                                R"({"symbol":"X","name":"X","exchange":"XNAS","currency":"USD"})", role),
                    403);
  }
  CHECK(
      market.host.http()
          .request("POST", "/api/market/prices", "{\"prices\":[" + item + "]}", {{"Content-Type", "application/json"}})
          .status == 401);
  CHECK(market.prices() == 0);
  CHECK(market.host.sql().count("select count(*) from market.instruments") == 1);
}
