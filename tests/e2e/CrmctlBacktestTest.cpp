// crmctl market backtest against a host with every shipped plugin: a model
// version replayed over a symbol's history prints its accuracy as a record
// and as JSON, picks the version by name (LIVE first, or --version), stores
// no forecast, and an unknown model is a usage error.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace e2e;

namespace {

// A straight line of one point a minute from 2026-01-05T10:00Z: 20, 20.25, ...
void line_of_prices(CrmctlHost& h, const std::string& symbol, int minutes) {
  const std::string admin = h.auth().admin().access_token;
  auto r = h.as(admin, "POST", "/api/market/instruments",
                R"({"symbol":")" + symbol + R"(","name":"Line Corp","exchange":"XNAS","currency":"USD"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  std::string items;
  for (int m = 0; m < minutes; ++m) {
    char item[128];
    std::snprintf(item, sizeof item, R"(%s{"symbol":"%s","at":"2026-01-05T%02d:%02d:00Z","price":%.2f})", m ? "," : "",
                  symbol.c_str(), 10 + m / 60, m % 60, 20 + 0.25 * m);
    items += item;
  }
  r = h.as(admin, "POST", "/api/market/prices", "{\"prices\":[" + items + "]}");
  INFO(r.body);
  REQUIRE(r.status == 202);
}

std::string create_model(CrmctlHost& h, const std::string& body) {
  auto r = h.as(h.auth().admin().access_token, "POST", "/api/market/models", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json()->getValue<std::string>("id");
}

} // namespace

TEST_CASE("market backtest prints a version's accuracy over a symbol's history and stores nothing",
          "[crmctl][forecast]") {
  CrmctlHost h;
  h.login_admin();
  line_of_prices(h, "LINE", 120);
  create_model(h, R"({"name":"smooth","kind":"holt","params":{"alpha":0.5,"beta":0.5},"status":"LIVE"})");
  create_model(h, R"({"name":"smooth","kind":"holt","params":{"alpha":0.1,"beta":0.1},"status":"SHADOW"})");
  const std::vector<std::string> range{
      "--symbol", "LINE", "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-06T00:00:00Z", "--horizon", "5"};

  auto args = std::vector<std::string>{"market", "backtest", "--model", "smooth"};
  args.insert(args.end(), range.begin(), range.end());
  auto table = h.ok(args).out;
  INFO(table);
  CHECK(contains(table, "smooth"));
  CHECK(contains(table, "112")); // origins 3..114 of 120 points reach their target 5 minutes on

  args.insert(args.end(), {"--version", "2", "-o", "json"});
  auto json = json_object(h.ok(args).out);
  CHECK(json->getValue<int>("version") == 2);
  CHECK(json->getValue<int>("n") == 112);
  CHECK(json->getValue<double>("directionHitRate") == Approx(1));

  auto v1 = std::vector<std::string>{"market", "backtest", "--model", "smooth", "-o", "json"};
  v1.insert(v1.end(), range.begin(), range.end());
  auto live = json_object(h.ok(v1).out);
  CHECK(live->getValue<int>("version") == 1); // the LIVE one
  CHECK(live->getValue<double>("mae") == Approx(0).margin(1e-6));

  auto models = h.as(h.auth().admin().access_token, "GET", "/api/market/models").json()->getArray("items");
  for (size_t i = 0; i < models->size(); ++i)
    CHECK(models->getObject(static_cast<unsigned>(i))->getObject("accuracy")->getValue<int>("n") == 0);
  auto forecasts = h.as(h.auth().admin().access_token, "GET", "/api/market/forecasts/LINE").json();
  CHECK(forecasts->getArray("items")->size() == 0);

  auto missing = std::vector<std::string>{"market", "backtest", "--model", "nosuch"};
  missing.insert(missing.end(), range.begin(), range.end());
  auto r = h.run(missing);
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "no model version nosuch"));
}
