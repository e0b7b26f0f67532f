// Rate limits: counted in Redis, so several hosts of one platform enforce one
// limit together; 429 with Retry-After over it; while Redis is unreachable each
// host still limits on its own and requests keep being served.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace itest;

namespace {

// GETs of fixture_c's list (class "api") until the first 429; returns how
// many were answered 200 before it (or `max` if none was refused).
int served_until_limited(Http& http, int max, Response* refused = nullptr) {
  for (int i = 0; i < max; ++i) {
    auto r = http.get("/api/fixture-c/items");
    if (r.status == 429) {
      if (refused) *refused = r;
      return i;
    }
    REQUIRE(r.status == 200);
  }
  return max;
}

const std::map<std::string, std::string> kTightLimit{{"CRM_RATELIMIT_API_PER_IP", "12"},
                                                     {"CRM_RATELIMIT_API_PER_USER", "0"}};

} // namespace

TEST_CASE("two hosts sharing one Redis enforce one per-IP limit together", "[ratelimit]") {
  HostUnderTest first({"fixture_c"}, kTightLimit);
  auto second = first.another_host("crm-host-2", kTightLimit);
  second->start();
  second->wait_until_live();

  Http a(first.port()), b(second->port());
  // Half the budget on each host, then the next request on either is refused.
  // Hosts share their counts every flush interval (100 ms): the pauses let
  // each see what the other counted.
  const auto flush = std::chrono::milliseconds(350);
  for (int i = 0; i < 6; ++i) REQUIRE(a.get("/api/fixture-c/items").status == 200);
  std::this_thread::sleep_for(flush);
  int more_on_second = served_until_limited(b, 20);
  std::this_thread::sleep_for(flush);
  Response refused;
  int more_on_first = served_until_limited(a, 20, &refused);
  // A minute window may turn over during the test: then both hosts start again
  // from zero, and the sums below come out higher; the window is checked too.
  INFO("on second: " << more_on_second << ", then on first: " << more_on_first);
  CHECK(more_on_second == 6);
  CHECK(more_on_first == 0);
  require_problem(refused, 429);
  auto retry_after = refused.header("Retry-After");
  REQUIRE(retry_after);
  const int wait = std::stoi(*retry_after);
  CHECK(wait >= 1);
  CHECK(wait <= 60);
}

TEST_CASE("without Redis each host still limits requests and keeps serving", "[ratelimit]") {
  auto env = kTightLimit;
  env["CRM_REDIS_PORT"] = "1"; // nothing listens there
  HostUnderTest host({"fixture_c"}, env);
  Http& http = host.http();
  CHECK(served_until_limited(http, 20) == 12);
  auto ready = http.get("/health/ready");
  INFO(ready.body);
  CHECK(ready.status == 200); // degraded, still serving
  CHECK(contains(ready.body, R"("status":"degraded")"));
  CHECK(contains(ready.body, R"("redis":"down")"));
  CHECK(contains(ready.body, R"("postgres":"ok")"));
}

TEST_CASE("the health probes are never rate limited", "[ratelimit]") {
  HostUnderTest host({"fixture_c"}, {{"CRM_RATELIMIT_API_PER_IP", "3"}});
  for (int i = 0; i < 10; ++i) REQUIRE(host.http().get("/health/live").status == 200);
}
