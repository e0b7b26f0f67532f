// RateLimiter on one host (Redis unreachable, so counts stay in process): the
// limit is exact per IP and per user, per class, and 0 means no limit.
#include "http/RateLimiter.hpp"

#include <catch2/catch.hpp>

using crm::cache::RedisConfig;
using crm::cache::RedisPool;
using crm::cache::SharedCounters;
using crm::http::RateLimit;
using crm::http::RateLimiter;

namespace {
RedisConfig unreachable() {
  RedisConfig c;
  c.port = 1;
  c.timeout = std::chrono::milliseconds(100);
  return c;
}
} // namespace

TEST_CASE("the per-IP limit admits exactly its number of requests, then asks to retry", "[ratelimit]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  RateLimiter limiter(counters, {{"api", RateLimit{5, 0}}});
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.check("api", "10.0.0.1", "") == 0);
  limiter.flush(); // syncing changes nothing on one host
  const int wait = limiter.check("api", "10.0.0.1", "");
  CHECK(wait >= 1);
  CHECK(wait <= 60);
  CHECK(limiter.check("api", "10.0.0.2", "") == 0); // another client is not affected
}

TEST_CASE("the per-user limit counts a user across addresses", "[ratelimit]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  RateLimiter limiter(counters, {{"api", RateLimit{0, 3}}});
  CHECK(limiter.check("api", "10.0.0.1", "u1") == 0);
  CHECK(limiter.check("api", "10.0.0.2", "u1") == 0);
  CHECK(limiter.check("api", "10.0.0.3", "u1") == 0);
  CHECK(limiter.check("api", "10.0.0.4", "u1") > 0);
  CHECK(limiter.check("api", "10.0.0.4", "") == 0); // anonymous: no user limit
}

TEST_CASE("classes are limited apart, unknown classes use api, and 0 means no limit", "[ratelimit]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  RateLimiter limiter(counters, {{"api", RateLimit{2, 0}}, {"auth", RateLimit{1, 0}}, {"open", RateLimit{0, 0}}});
  CHECK(limiter.check("auth", "ip", "") == 0);
  CHECK(limiter.check("auth", "ip", "") > 0);
  CHECK(limiter.check("api", "ip", "") == 0);
  CHECK(limiter.check("reports", "ip", "") == 0); // counted as api
  CHECK(limiter.check("api", "ip", "") > 0);
  for (int i = 0; i < 100; ++i) REQUIRE(limiter.check("open", "ip", "") == 0);
}
