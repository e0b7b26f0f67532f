// Health probes and Prometheus metrics: /health/live, /health/ready, /metrics.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("the live probe answers 200 with status ok", "[health]") {
  HostUnderTest host({"fixture_c"});
  auto r = host.http().get("/health/live");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(starts_with(lower(r.content_type()), "application/json"));
  CHECK(text_of(r.json(), "status") == "ok");
}

TEST_CASE("the ready probe reports postgres ok", "[health]") {
  HostUnderTest host({"fixture_c"});
  auto r = host.http().get("/health/ready");
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(text_of(body, "status") == "ok");
  auto checks = body->getObject("checks");
  REQUIRE(checks);
  CHECK(text_of(checks, "postgres") == "ok");
}

TEST_CASE("the ready probe answers 503 while the database refuses connections, and recovers", "[health]") {
  HostUnderTest host({"fixture_c"});
  const std::string db = host.db().name();

  // Cut the host off: no new connections, existing ones terminated.
  Sql other(conninfo_with(env_or("CRM_DB_DSN"), {{"password", host.db().password()}}));
  other.exec("alter database " + db + " allow_connections false");
  auto cut_off = [&] {
    other.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", {db});
  };
  cut_off();

  std::optional<Response> last;
  bool unavailable = eventually(
      [&] {
        cut_off();
        last = try_request(host.port(), "GET", "/health/ready", std::chrono::seconds(5));
        return last && last->status == 503;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(200));
  INFO("last /health/ready: " << (last ? std::to_string(last->status) + " " + last->body : "no answer"));
  CHECK(unavailable);
  if (unavailable) {
    auto body = last->json();
    CHECK(text_of(body, "status") == "unavailable");
    auto checks = body->getObject("checks");
    REQUIRE(checks);
    CHECK(text_of(checks, "postgres") != "ok");
  }
  // Live stays 200: the process still serves.
  auto live = try_request(host.port(), "GET", "/health/live");
  REQUIRE(live);
  CHECK(live->status == 200);

  other.exec("alter database " + db + " allow_connections true");
  bool ready_again = eventually(
      [&] {
        last = try_request(host.port(), "GET", "/health/ready", std::chrono::seconds(5));
        return last && last->status == 200;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(200));
  INFO("last /health/ready: " << (last ? std::to_string(last->status) + " " + last->body : "no answer"));
  CHECK(ready_again);
}

TEST_CASE("metrics count requests by operation and status and time them", "[metrics]") {
  HostUnderTest host({"fixture_c"});
  auto& http = host.http();
  auto item = create_item(http, "measured");
  const std::string id = text_of(item, "id");
  for (int i = 0; i < 3; ++i) REQUIRE(http.get("/api/fixture-c/items/" + id).status == 200);

  auto r = http.get("/metrics");
  INFO(r.body.substr(0, 4000));
  REQUIRE(r.status == 200);
  CHECK(starts_with(r.content_type(), "text/plain; version=0.0.4"));
  CHECK(contains(r.body, R"(crm_http_requests_total{operation="fixture_c.get_item",status="200"})"));
  CHECK(contains(r.body,
                 R"(crm_http_request_duration_seconds_bucket{operation="fixture_c.get_item",status="200",le="+Inf"})"));

  auto count = metric_value(r.body, "crm_http_requests_total", {{"operation", "fixture_c.get_item"}, {"status", "200"}});
  REQUIRE(count);
  CHECK(*count >= 3);
  auto created =
      metric_value(r.body, "crm_http_requests_total", {{"operation", "fixture_c.create_item"}, {"status", "201"}});
  REQUIRE(created);
  CHECK(*created >= 1);
  auto inf = metric_value(r.body, "crm_http_request_duration_seconds_bucket",
                          {{"operation", "fixture_c.get_item"}, {"status", "200"}, {"le", "+Inf"}});
  REQUIRE(inf);
  CHECK(*inf == *count);
}
