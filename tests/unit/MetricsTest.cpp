// Tests of metrics/Metrics (the Registry): request counting from many threads
// and the Prometheus text it renders.
#include "metrics/Metrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

using crm::metrics::Labels;
using crm::metrics::Registry;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

} // namespace

TEST_CASE("requests recorded from several threads add up exactly", "[metrics]") {
  Registry registry;
  constexpr int kThreads = 4, kPerThread = 25000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < kPerThread; ++i) {
        registry.record_request("customer.get", i % 5 == 0 ? 404 : 200, 0.002);
        registry.record_request(t % 2 ? "customer.list" : "customer.create", 201, 0.3);
      }
    });
  for (auto& t : threads) t.join();

  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, R"(crm_http_requests_total{operation="customer.get",status="200"} 80000)"));
  CHECK(has_line(text, R"(crm_http_requests_total{operation="customer.get",status="404"} 20000)"));
  CHECK(has_line(text, R"(crm_http_requests_total{operation="customer.list",status="201"} 50000)"));
  CHECK(has_line(text, R"(crm_http_requests_total{operation="customer.create",status="201"} 50000)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_count{operation="customer.get",status="200"} 80000)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_count{operation="customer.get",status="404"} 20000)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_sum{operation="customer.get",status="200"} 160)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_sum{operation="customer.get",status="404"} 40)"));
}

TEST_CASE("the duration histogram is cumulative up to +Inf", "[metrics]") {
  Registry registry;
  registry.record_request("op", 200, 0.0004); // le 0.0005
  registry.record_request("op", 200, 0.005);  // exactly on a bound: counted in it
  registry.record_request("op", 200, 0.7);    // le 1
  registry.record_request("op", 200, 42);     // only +Inf
  registry.record_request("op", 500, 0.003);  // a histogram of its own
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "# TYPE crm_http_request_duration_seconds histogram"));
  const std::string ok = R"(crm_http_request_duration_seconds_bucket{operation="op",status="200",le=)";
  CHECK(has_line(text, ok + R"("0.0005"} 1)"));
  CHECK(has_line(text, ok + R"("0.0025"} 1)"));
  CHECK(has_line(text, ok + R"("0.005"} 2)"));
  CHECK(has_line(text, ok + R"("0.5"} 2)"));
  CHECK(has_line(text, ok + R"("1"} 3)"));
  CHECK(has_line(text, ok + R"("10"} 3)"));
  CHECK(has_line(text, ok + R"("+Inf"} 4)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_count{operation="op",status="200"} 4)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_sum{operation="op",status="200"} 42.7054)"));
  const std::string failed = R"(crm_http_request_duration_seconds_bucket{operation="op",status="500",le=)";
  CHECK(has_line(text, failed + R"("0.0025"} 0)"));
  CHECK(has_line(text, failed + R"("0.005"} 1)"));
  CHECK(has_line(text, R"(crm_http_request_duration_seconds_count{operation="op",status="500"} 1)"));
  CHECK(has_line(text, R"(crm_http_requests_total{operation="op",status="500"} 1)"));
  CHECK(has_line(text, R"(crm_http_requests_total{operation="op",status="200"} 4)"));
}

TEST_CASE("every family is introduced by HELP and TYPE lines", "[metrics]") {
  Registry registry;
  registry.record_request("a", 200, 0.01);
  const std::string text = registry.render();
  CHECK(has_line(text, "# HELP crm_http_requests_total HTTP requests handled, by operation and status."));
  CHECK(has_line(text, "# TYPE crm_http_requests_total counter"));
  CHECK(has_line(text, "# HELP crm_http_request_duration_seconds Time to handle an HTTP request, by operation and status."));
  CHECK(text.back() == '\n');
}

TEST_CASE("label values are escaped", "[metrics]") {
  Registry registry;
  registry.record_request("we\"ird\\op\nx", 200, 0.01);
  const std::string text = registry.render();
  CHECK(has_line(text, R"(crm_http_requests_total{operation="we\"ird\\op\nx",status="200"} 1)"));
}

TEST_CASE("a counter is created once and keeps its address", "[metrics]") {
  Registry registry;
  auto& published = registry.counter("crm_outbox_published_total", "Events published.", {{"plugin", "customer"}});
  published.inc();
  published.inc(4);
  CHECK(&registry.counter("crm_outbox_published_total", "ignored", {{"plugin", "customer"}}) == &published);
  registry.counter("crm_outbox_published_total", "", {{"plugin", "sales"}}).inc();
  registry.counter("crm_plain_total", "No labels.").inc(7);
  const std::string text = registry.render();
  INFO(text);
  CHECK(has_line(text, "# HELP crm_outbox_published_total Events published."));
  CHECK(has_line(text, "# TYPE crm_outbox_published_total counter"));
  CHECK(has_line(text, R"(crm_outbox_published_total{plugin="customer"} 5)"));
  CHECK(has_line(text, R"(crm_outbox_published_total{plugin="sales"} 1)"));
  CHECK(has_line(text, "crm_plain_total 7"));
}

TEST_CASE("invalid metric and label names are programming errors", "[metrics]") {
  Registry registry;
  CHECK_THROWS_AS(registry.counter("1bad", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("bad-name", "h"), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "h", {{"bad label", "x"}}), std::invalid_argument);
  CHECK_THROWS_AS(registry.add_gauge_callback("no spaces", "h", [] { return std::vector<std::pair<Labels, double>>{}; }),
                  std::invalid_argument);
}

TEST_CASE("gauges are computed by their callback at each render", "[metrics]") {
  Registry registry;
  double lag = 1.5;
  registry.add_gauge_callback("crm_outbox_lag_seconds", "Age of the oldest unsent event.", [&lag] {
    return std::vector<std::pair<Labels, double>>{{{{"plugin", "customer"}}, lag}, {{}, 0}};
  });
  CHECK(has_line(registry.render(), R"(crm_outbox_lag_seconds{plugin="customer"} 1.5)"));
  lag = 3;
  const std::string text = registry.render();
  CHECK(has_line(text, "# TYPE crm_outbox_lag_seconds gauge"));
  CHECK(has_line(text, R"(crm_outbox_lag_seconds{plugin="customer"} 3)"));
  CHECK(has_line(text, "crm_outbox_lag_seconds 0"));
}

TEST_CASE("a failing gauge callback leaves only its own family out", "[metrics]") {
  Registry registry;
  registry.add_gauge_callback("crm_broken", "Throws.", []() -> std::vector<std::pair<Labels, double>> {
    throw std::runtime_error("database down");
  });
  registry.add_gauge_callback("crm_fine", "Works.", [] { return std::vector<std::pair<Labels, double>>{{{}, 1}}; });
  std::string text;
  REQUIRE_NOTHROW(text = registry.render());
  CHECK(text.find("crm_broken") == std::string::npos);
  CHECK(has_line(text, "crm_fine 1"));
}

TEST_CASE("special gauge values use Prometheus spellings", "[metrics]") {
  Registry registry;
  registry.add_gauge_callback("crm_special", "h", [] {
    return std::vector<std::pair<Labels, double>>{{{{"k", "nan"}}, std::nan("")},
                                                  {{{"k", "inf"}}, std::numeric_limits<double>::infinity()}};
  });
  const std::string text = registry.render();
  CHECK(has_line(text, R"(crm_special{k="nan"} NaN)"));
  CHECK(has_line(text, R"(crm_special{k="inf"} +Inf)"));
}

TEST_CASE("operations beyond the cap are folded into other", "[metrics]") {
  Registry registry;
  for (std::size_t i = 0; i < Registry::kMaxOperations + 10; ++i)
    registry.record_request("op" + std::to_string(i), 200, 0.001);
  const std::string text = registry.render();
  CHECK(has_line(text, R"(crm_http_requests_total{operation="other",status="200"} 10)"));
  CHECK(text.find("operation=\"op" + std::to_string(Registry::kMaxOperations + 5) + "\"") == std::string::npos);
}

TEST_CASE("a status outside the HTTP range is counted as 500", "[metrics]") {
  Registry registry;
  registry.record_request("op", 42, 0.001);
  registry.record_request("op", 1000, 0.001);
  CHECK(has_line(registry.render(), R"(crm_http_requests_total{operation="op",status="500"} 2)"));
}
