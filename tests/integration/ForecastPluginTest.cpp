// The forecast plugin against a real host with the shipped market and
// forecast plugins (no alerts plugin: the symbols are the market's
// instruments), real PostgreSQL and NATS: model versions created, promoted
// and retired by an ADMIN only, with every refusal on its field; forecasts
// made on the schedule by every LIVE and SHADOW version; accuracy counted
// once per forecast when its target price arrives; a failing version that
// does not stop the others; a model another plugin brings through an
// operation; a backtest that stores nothing.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>
#include <map>
#include <string>
#include <vector>

using namespace itest;

namespace {

Headers as(const std::string& role) {
  return {{"Authorization", bearer(mint_token(role, random_uuid()))}, {"Content-Type", "application/json"}};
}

// An RFC 3339 UTC time `offset_seconds` from now, whole seconds.
std::string utc_in(long long offset_seconds) {
  const std::time_t t = std::time(nullptr) + offset_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

struct ForecastHost {
  // interval_seconds: the schedule's spacing (long: runs only on request).
  // fixtures: fixture plugins to load as well.
  explicit ForecastHost(const std::string& interval_seconds = "3600", const std::string& horizon_minutes = "1",
                        const std::vector<std::string>& fixtures = {})
      : host(fixtures,
             {{"CRM_PLUGIN_FORECAST_INTERVAL_SECONDS", interval_seconds},
              {"CRM_PLUGIN_FORECAST_HORIZON_MINUTES", horizon_minutes},
              {"CRM_PLUGIN_MARKET_FUTURE_TOLERANCE_SECONDS", "600"},
              {"CRM_WORKFLOWS_POLL_MS", "50"},
              {"CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8)}},
             HostUnderTest::Start::Later),
        calls(host) {
    host.add_shipped_plugin("market");
    host.add_shipped_plugin("forecast");
    host.start();
    INFO(host.process().log_tail(40));
    REQUIRE(host.wait_for_plugin("market.so", "LOADED", std::chrono::seconds(20)));
    REQUIRE(host.wait_for_plugin("forecast.so", "LOADED", std::chrono::seconds(20)));
  }

  Response send(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& role = "ADMIN") {
    return host.http().request(method, path, body, as(role));
  }

  Poco::JSON::Object::Ptr create_model(const std::string& body) {
    auto r = send("POST", "/api/market/models", body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  void set_status(const std::string& id, const std::string& status) {
    auto r = send("PATCH", "/api/market/models/" + id, "{\"status\":\"" + status + "\"}");
    INFO(r.body);
    REQUIRE(r.status == 200);
  }

  Poco::JSON::Object::Ptr model(const std::string& id) {
    auto r = send("GET", "/api/market/models", "", "SALES");
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i)
      if (text_of(items->getObject(static_cast<unsigned>(i)), "id") == id)
        return items->getObject(static_cast<unsigned>(i));
    FAIL("model " << id << " not listed: " << r.body);
    return nullptr;
  }

  // An instrument with `minutes` points, one a minute up to now, price(i) for
  // the i-th (i = 0 the oldest).
  template <class Price> void instrument_with_history(const std::string& symbol, int minutes, Price price) {
    auto r = send("POST", "/api/market/instruments",
                  "{\"symbol\":\"" + symbol + "\",\"name\":\"" + symbol +
                      " Corp\",\"exchange\":\"XNAS\",\"currency\":\"USD\"}");
    INFO(r.body);
    REQUIRE(r.status == 201);
    std::string items;
    for (int i = 0; i < minutes; ++i) {
      if (!items.empty()) items += ',';
      items += "{\"symbol\":\"" + symbol + "\",\"at\":\"" + utc_in(-60LL * (minutes - 1 - i) - 1) +
               "\",\"price\":" + std::to_string(price(i)) + "}";
    }
    ingest(items);
  }

  void ingest(const std::string& items) {
    auto r = send("POST", "/api/market/prices", "{\"prices\":[" + items + "]}");
    INFO(r.body);
    REQUIRE(r.status == 202);
  }

  Poco::JSON::Object::Ptr run_now() {
    auto r = send("POST", "/api/market/forecasts/run", "{}");
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }

  long long forecasts(const std::string& where = "true") {
    return host.sql().count("select count(*) from forecast.forecasts where " + where);
  }
  long long generated_events() {
    return host.sql().count("select count(*) from forecast.crm_outbox where type = 'forecast.generated'");
  }

  HostUnderTest host;
  SystemCalls calls;
};

std::string id_of(const Poco::JSON::Object::Ptr& o) { return text_of(o, "id"); }

} // namespace

TEST_CASE("an ADMIN creates, promotes and retires model versions, each refusal on its field", "[forecast][models]") {
  ForecastHost f;
  auto holt = f.create_model(R"({"name":"trend","kind":"holt","params":{"alpha":0.4,"beta":0.2},"status":"SHADOW"})");
  CHECK(holt->getValue<int>("version") == 1);
  CHECK(text_of(holt, "status") == "SHADOW");
  CHECK(holt->getObject("accuracy")->getValue<int>("n") == 0);
  CHECK(holt->getObject("accuracy")->isNull("mae"));
  auto second = f.create_model(R"({"name":"trend","kind":"ridge","params":{"lags":3,"lambda":0.01}})");
  CHECK(second->getValue<int>("version") == 2); // the next number of its name
  CHECK(text_of(second, "status") == "SHADOW");

  f.set_status(id_of(holt), "LIVE");
  CHECK(text_of(f.model(id_of(holt)), "status") == "LIVE");
  f.set_status(id_of(holt), "RETIRED");
  CHECK(text_of(f.model(id_of(holt)), "status") == "RETIRED");

  const long long before = f.host.sql().count("select count(*) from forecast.models");
  auto p = require_problem(f.send("POST", "/api/market/models", R"({"name":"x","kind":"arima"})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"kind"});
  p = require_problem(
      f.send("POST", "/api/market/models", R"({"name":"x","kind":"holt","params":{"alpha":0,"beta":2}})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"params.alpha", "params.beta"});
  p = require_problem(
      f.send("POST", "/api/market/models", R"({"name":"x","kind":"ridge","params":{"lags":51,"lambda":-1}})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"params.lags", "params.lambda"});
  p = require_problem(f.send("POST", "/api/market/models", R"({"name":"x","kind":"holt","status":"ACTIVE"})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"status"});
  p = require_problem(f.send("POST", "/api/market/models", R"({"name":"x","kind":"op:auth.users_get"})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"kind"});
  p = require_problem(f.send("PATCH", "/api/market/models/" + id_of(second), R"({"status":"DEAD"})"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"status"});
  require_problem(f.send("PATCH", "/api/market/models/" + random_uuid(), R"({"status":"LIVE"})"), 404);
  CHECK(f.host.sql().count("select count(*) from forecast.models") == before);

  require_problem(f.send("POST", "/api/market/models", R"({"name":"y","kind":"holt"})", "SALES"), 403);
  require_problem(f.send("PATCH", "/api/market/models/" + id_of(second), R"({"status":"LIVE"})", "MANAGER"), 403);
  require_problem(f.send("POST", "/api/market/forecasts/run", "{}", "SALES"), 403);
  CHECK(text_of(f.model(id_of(second)), "status") == "SHADOW");
  CHECK(f.send("GET", "/api/market/models", "", "SALES").status == 200);
}

TEST_CASE("the schedule forecasts every instrument by every LIVE and SHADOW version, not by RETIRED ones",
          "[forecast][schedule]") {
  ForecastHost f("1", "60");
  auto live = f.create_model(R"({"name":"smooth","kind":"holt","params":{"alpha":0.5,"beta":0.1},"status":"LIVE"})");
  auto shadow =
      f.create_model(R"({"name":"returns","kind":"ridge","params":{"lags":3,"lambda":0.01},"status":"SHADOW"})");
  auto retired = f.create_model(R"({"name":"old","kind":"holt","status":"RETIRED"})");
  f.instrument_with_history("ACME", 60, [](int i) { return 100 + 0.5 * i + (i % 3); });
  f.instrument_with_history("GLOBX", 60, [](int i) { return 50 * std::exp(0.001 * i); });

  // A positive signal: both versions' forecasts for both symbols.
  const bool made =
      eventually([&] { return f.forecasts("symbol = 'GLOBX'") >= 2 && f.forecasts("symbol = 'ACME'") >= 2; },
                 std::chrono::seconds(20));
  INFO(f.host.process().log_tail(40));
  REQUIRE(made);
  CHECK(f.forecasts("model_id = '" + id_of(retired) + "'") == 0);
  CHECK(f.generated_events() >= 4);

  auto r = f.send("GET", "/api/market/forecasts/ACME", "", "SALES");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto items = r.json()->getArray("items");
  REQUIRE(items->size() == 2);
  std::map<std::string, Poco::JSON::Object::Ptr> by_model;
  for (size_t i = 0; i < items->size(); ++i) by_model[text_of(items->getObject(i), "model")] = items->getObject(i);
  REQUIRE(by_model.count("smooth"));
  REQUIRE(by_model.count("returns"));
  const auto smooth = by_model["smooth"];
  CHECK(smooth->getValue<int>("horizonMinutes") == 60);
  CHECK(smooth->getValue<double>("low") <= smooth->getValue<double>("predicted"));
  CHECK(smooth->getValue<double>("predicted") <= smooth->getValue<double>("high"));
  // The trend goes on: about 0.5 a minute from about 130.
  CHECK(smooth->getValue<double>("predicted") > 140);
  // The ridge version recovers GLOBX's constant log return.
  auto globx = f.send("GET", "/api/market/forecasts/GLOBX", "", "SALES").json()->getArray("items");
  for (size_t i = 0; i < globx->size(); ++i)
    if (text_of(globx->getObject(i), "model") == "returns")
      CHECK(globx->getObject(i)->getValue<double>("predicted") ==
            Approx(50 * std::exp(0.001 * (59 + 60))).epsilon(0.002));

  // The event carries the agreed fields.
  auto data = f.host.sql().scalar("select data::text from forecast.crm_outbox where type = 'forecast.generated' "
                                  "and subject = 'ACME' order by seq limit 1");
  REQUIRE(data);
  auto event = Poco::JSON::Parser().parse(*data).extract<Poco::JSON::Object::Ptr>();
  for (const char* key :
       {"symbol", "modelId", "model", "version", "madeAt", "horizonMinutes", "predicted", "low", "high"})
    CHECK(event->has(key));

  // A retired version stops; the schedule goes on with the other.
  f.set_status(id_of(shadow), "RETIRED");
  const long long returns_before = f.forecasts("model_id = '" + id_of(shadow) + "'");
  const long long smooth_before = f.forecasts("model_id = '" + id_of(live) + "'");
  REQUIRE(eventually([&] { return f.forecasts("model_id = '" + id_of(live) + "'") >= smooth_before + 4; },
                     std::chrono::seconds(20)));
  CHECK(f.forecasts("model_id = '" + id_of(shadow) + "'") == returns_before);
  CHECK(f.send("GET", "/api/market/forecasts/ACME", "", "SALES").json()->getArray("items")->size() == 1);
}

TEST_CASE("when the price at a forecast's target time arrives, its version's accuracy counts it once",
          "[forecast][accuracy]") {
  ForecastHost f("3600", "1");
  f.calls.wait_until_ready();
  auto holt = f.create_model(R"({"name":"smooth","kind":"holt","status":"LIVE"})");
  auto ridge = f.create_model(R"({"name":"returns","kind":"ridge","params":{"lags":2},"status":"SHADOW"})");
  f.instrument_with_history("ACME", 30, [](int i) { return 100 + i; });
  auto report = f.run_now();
  CHECK(report->getValue<int>("forecasts") == 2);
  REQUIRE(f.forecasts("actual is null") == 2);

  // Two minutes ahead (the market takes points up to ten minutes ahead here):
  // past the forecasts' one-minute target.
  const std::string later = utc_in(120);
  f.ingest("{\"symbol\":\"ACME\",\"at\":\"" + later + "\",\"price\":140}");
  const bool settled = eventually([&] { return f.forecasts("actual is not null") == 2; }, std::chrono::seconds(20));
  INFO(f.host.process().log_tail(40));
  REQUIRE(settled);
  // The actual is the last price at or before the target: the history's last, 129.
  CHECK(f.forecasts("actual = 129 and abs_error = abs(predicted - 129)") == 2);
  auto accuracy = f.model(id_of(holt))->getObject("accuracy");
  CHECK(accuracy->getValue<int>("n") == 1);
  // Holt on a straight line predicts it: 129 + 1 a minute; the price stayed at 129.
  CHECK(accuracy->getValue<double>("mae") == Approx(1).epsilon(0.05));
  CHECK(accuracy->getValue<double>("directionHitRate") == Approx(0));
  CHECK(f.model(id_of(ridge))->getObject("accuracy")->getValue<int>("n") == 1);

  // The same event handled again (the inbox bypassed), and a later price: no second count.
  auto again = f.calls.call("forecast.on_prices_updated",
                            "{\"data\":{\"symbol\":\"ACME\",\"price\":140,\"at\":\"" + later + "\"}}");
  CHECK(again.ok());
  f.ingest("{\"symbol\":\"ACME\",\"at\":\"" + utc_in(180) + "\",\"price\":141}");
  REQUIRE(eventually([&] { return f.host.sql().count("select count(*) from forecast.crm_inbox") >= 2; },
                     std::chrono::seconds(20)));
  CHECK(f.model(id_of(holt))->getObject("accuracy")->getValue<int>("n") == 1);
  CHECK(f.model(id_of(ridge))->getObject("accuracy")->getValue<int>("n") == 1);
}

TEST_CASE("a version that fails at run time is marked failed for the run and does not stop the others",
          "[forecast][failures]") {
  ForecastHost f;
  auto good = f.create_model(R"({"name":"smooth","kind":"holt","status":"LIVE"})");
  // Lambda 0 on a series of constant log return: a singular regression.
  auto singular = f.create_model(R"({"name":"exact","kind":"ridge","params":{"lags":2,"lambda":0},"status":"LIVE"})");
  // A model another plugin would bring, but no loaded plugin offers it.
  auto absent = f.create_model(R"({"name":"elsewhere","kind":"op:models.forecast_arima","status":"SHADOW"})");
  f.instrument_with_history("GEO", 30, [](int i) { return 10 * std::pow(1.01, i); });

  auto report = f.run_now();
  INFO(json_of(*report));
  CHECK(report->getValue<int>("forecasts") == 1);
  CHECK(report->getArray("failedVersions")->size() == 2);
  CHECK(f.forecasts("model_id = '" + id_of(good) + "'") == 1);
  CHECK(f.forecasts("model_id <> '" + id_of(good) + "'") == 0);

  auto failed = f.model(id_of(singular));
  CHECK(failed->getValue<bool>("lastRunFailed"));
  CHECK(contains(text_of(failed, "lastError"), "singular"));
  CHECK(failed->getValue<int>("failedRuns") == 1);
  auto missing = f.model(id_of(absent));
  CHECK(missing->getValue<bool>("lastRunFailed"));
  CHECK(contains(text_of(missing, "lastError"), "models.forecast_arima"));
  auto fine = f.model(id_of(good));
  CHECK_FALSE(fine->getValue<bool>("lastRunFailed"));
  CHECK(fine->isNull("lastError"));
  CHECK(contains(f.host.process().log(), "failed this run"));
}

TEST_CASE("a model another plugin brings forecasts through its operation, and a garbled answer is its failure",
          "[forecast][operation]") {
  ForecastHost f("3600", "1", {"fixture_forecast_model"});
  REQUIRE(f.host.wait_for_plugin("fixture_forecast_model.so", "LOADED", std::chrono::seconds(20)));
  auto drift = f.create_model(
      R"({"name":"drift","kind":"op:fixture_forecast_model.forecast_drift","params":{"step":0.5},"status":"LIVE"})");
  auto garbled =
      f.create_model(R"({"name":"garbled","kind":"op:fixture_forecast_model.forecast_garbled","status":"SHADOW"})");
  auto holt = f.create_model(R"({"name":"smooth","kind":"holt","status":"LIVE"})");
  f.instrument_with_history("OPCO", 20, [](int i) { return 10 + i; });

  auto report = f.run_now();
  INFO(json_of(*report));
  CHECK(report->getValue<int>("forecasts") == 2);
  // One step of a minute ahead: the last price, 29, plus the params' step.
  CHECK(f.forecasts("model_id = '" + id_of(drift) + "' and predicted = 29.5 and low = 28.5 and high = 30.5") == 1);
  CHECK(f.forecasts("model_id = '" + id_of(holt) + "'") == 1);
  CHECK(f.forecasts("model_id = '" + id_of(garbled) + "'") == 0);
  auto failed = f.model(id_of(garbled));
  CHECK(failed->getValue<bool>("lastRunFailed"));
  CHECK(contains(text_of(failed, "lastError"), "did not answer"));
  CHECK_FALSE(f.model(id_of(drift))->getValue<bool>("lastRunFailed"));
}

TEST_CASE("a backtest replays a symbol's history through a version, answers its accuracy and stores nothing",
          "[forecast][backtest]") {
  ForecastHost f;
  auto holt = f.create_model(R"({"name":"smooth","kind":"holt","params":{"alpha":0.5,"beta":0.5}})");
  f.instrument_with_history("LINE", 120, [](int i) { return 20 + 0.25 * i; });
  const std::string path = "/api/market/models/" + id_of(holt) + "/backtest";
  const std::string range = "\"from\":\"" + utc_in(-7200) + "\",\"to\":\"" + utc_in(60) + "\"";

  auto r = f.send("POST", path, "{\"symbol\":\"LINE\"," + range + ",\"horizonMinutes\":5}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto result = r.json();
  CHECK(result->getValue<int>("points") == 120);
  CHECK(result->getValue<int>("n") == 120 - 3 - 5); // origins 3..114 reach their target
  CHECK(result->getValue<double>("mae") == Approx(0).margin(1e-6));
  CHECK(result->getValue<double>("mape") == Approx(0).margin(1e-6));
  CHECK(result->getValue<double>("directionHitRate") == Approx(1));
  CHECK(f.forecasts() == 0);
  CHECK(f.model(id_of(holt))->getObject("accuracy")->getValue<int>("n") == 0);

  auto p = require_problem(
      f.send("POST", path, "{\"symbol\":\"LINE\",\"from\":\"" + utc_in(0) + "\",\"to\":\"" + utc_in(-60) + "\"}"), 422);
  CHECK(error_fields(p) == std::vector<std::string>{"to"});
  require_problem(f.send("POST", path, "{\"symbol\":\"NOPE\"," + range + "}"), 404);
  require_problem(
      f.send("POST", "/api/market/models/" + random_uuid() + "/backtest", "{\"symbol\":\"LINE\"," + range + "}"), 404);
  require_problem(f.send("POST", path, "{\"symbol\":\"LINE\"," + range + "}", "SALES"), 403);
}

namespace {

// The host process's CPU time (user + system) in seconds, from /proc.
double host_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip; // state .. cmajflt
  long long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

// A figure, not a test (hidden: run it by name, "[.forecast-cpu]"): the host's
// CPU time of one run for 100 symbols of 480 one-minute points by two versions
// (PostgreSQL's own CPU, which builds the history replies, is not counted).
TEST_CASE("the host's CPU time of forecasts for 100 symbols by two versions", "[.forecast-cpu]") {
  ForecastHost f("3600", "60");
  f.create_model(R"({"name":"smooth","kind":"holt","status":"LIVE"})");
  f.create_model(R"({"name":"returns","kind":"ridge","params":{"lags":5},"status":"SHADOW"})");
  std::string items;
  int in_batch = 0;
  for (int s = 0; s < 100; ++s) {
    const std::string symbol = "S" + std::to_string(s);
    auto r = f.send("POST", "/api/market/instruments",
                    "{\"symbol\":\"" + symbol + "\",\"name\":\"" + symbol +
                        "\",\"exchange\":\"XNAS\",\"currency\":\"USD\"}");
    REQUIRE(r.status == 201);
    for (int i = 0; i < 480; ++i) {
      if (!items.empty()) items += ',';
      items += "{\"symbol\":\"" + symbol + "\",\"at\":\"" + utc_in(-60LL * (479 - i) - 1) +
               "\",\"price\":" + std::to_string(50 + s + 0.1 * i + (i * 7 % 5)) + "}";
      if (++in_batch == 9600) f.ingest(items), items.clear(), in_batch = 0;
    }
  }
  if (!items.empty()) f.ingest(items);
  const int runs = 5;
  const double before = host_cpu_seconds(f.host.process().pid());
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) REQUIRE(f.run_now()->getValue<int>("forecasts") == 200);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double cpu = host_cpu_seconds(f.host.process().pid()) - before;
  WARN("forecasts for 100 symbols x 2 versions: host CPU "
       << 1000 * cpu / runs << " ms per run, wall " << 1000 * wall / runs << " ms per run (" << runs << " runs)");
}
