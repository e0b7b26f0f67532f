// SharedCounters without a reachable Redis: counted in process, with the same
// meaning (TTL set by the call that creates a counter, reset, several at once).
#include "cache/SharedCounters.hpp"

#include <catch2/catch.hpp>

using crm::cache::RedisConfig;
using crm::cache::RedisPool;
using crm::cache::SharedCounters;

namespace {
RedisConfig unreachable() {
  RedisConfig c;
  c.port = 1; // nothing listens on 127.0.0.1:1
  c.timeout = std::chrono::milliseconds(100);
  return c;
}
} // namespace

TEST_CASE("counters fall back to the process when Redis is unreachable", "[counters]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  auto first = counters.add("a", 1, 60);
  CHECK(first.value == 1);
  CHECK_FALSE(first.shared);
  CHECK(first.ttl_left > 0);
  CHECK(first.ttl_left <= 60);
  CHECK(counters.add("a", 2, 60).value == 3);
  CHECK(counters.add("a", 0, 60).value == 3); // delta 0 reads
  CHECK(counters.add("b", 1, 0).ttl_left == -1);
  CHECK_FALSE(redis.available()); // believed down: no connect attempt per call
}

TEST_CASE("a reset counter starts again from zero", "[counters]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  counters.add("a", 5, 60);
  counters.reset("a");
  CHECK(counters.add("a", 1, 60).value == 1);
}

TEST_CASE("several counters are added in one call, each on its own", "[counters]") {
  RedisPool redis(unreachable());
  SharedCounters counters(redis, "t:");
  counters.add("x", 10, 60);
  auto values = counters.add_all({"x", "y"}, 1, 60);
  REQUIRE(values.size() == 2);
  CHECK(values[0].value == 11);
  CHECK(values[1].value == 1);
}
