// The plugins' cache (Redis through cache_get/cache_set/cache_del) and the
// plugins' schedules, against running hosts: a read is served from the cache
// once warm; a committed change is never followed by a stale read, also on
// another host and also when the change slips in between a reader's database
// read and its cache fill; Redis down is a miss, never a failed request. A
// schedule's runs happen on one host at a time.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace itest;

namespace {

Response put_value(Http& http, const std::string& key, const std::string& value) {
  auto r = http.request("PUT", "/api/fixture-flow/kv/" + key, "{\"value\":\"" + value + "\"}",
                        {{"Content-Type", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r;
}

std::pair<std::string, bool> get_value(Http& http, const std::string& key, const std::string& query = "") {
  auto r = http.get("/api/fixture-flow/kv/" + key + query);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return {text_of(r.json(), "value"), r.json()->getValue<bool>("cached")};
}

} // namespace

TEST_CASE("a read is served from the cache once warm, and counted", "[cache]") {
  HostUnderTest host({"fixture_flow"});
  const std::string key = random_uuid();
  put_value(host.http(), key, "one");
  CHECK(get_value(host.http(), key) == std::make_pair(std::string("one"), false));
  CHECK(get_value(host.http(), key) == std::make_pair(std::string("one"), true));
  CHECK(get_value(host.http(), key) == std::make_pair(std::string("one"), true));
  auto metrics = host.http().get("/metrics").body;
  CHECK(metric_value(metrics, "crm_cache_requests", {{"plugin", "fixture_flow"}, {"result", "hit"}}) == 2.0);
  CHECK(metric_value(metrics, "crm_cache_requests", {{"plugin", "fixture_flow"}, {"result", "miss"}}) == 1.0);
}

TEST_CASE("a change committed on another host is never followed by a stale read", "[cache]") {
  HostUnderTest a({"fixture_flow"});
  auto b = a.another_host("crm-host-b");
  b->start();
  b->wait_until_live();
  Http on_b(b->port());
  const std::string key = random_uuid();
  put_value(a.http(), key, "one");
  get_value(a.http(), key);
  REQUIRE(get_value(a.http(), key).second); // warm on A

  put_value(on_b, key, "two");
  CHECK(get_value(a.http(), key).first == "two");
  CHECK(get_value(on_b, key).first == "two");

  // A reader that read "two" from the database fills the cache only after a
  // writer on B committed "three": the fill must not stick.
  auto slow = std::async(std::launch::async, [&] {
    Http http(a.port());
    return get_value(http, key, "?pauseMs=1500");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  put_value(on_b, key, "three");
  auto slow_read = slow.get();
  CHECK(slow_read.first == "two"); // what it read before the change
  for (int i = 0; i < 3; ++i) {
    CHECK(get_value(a.http(), key).first == "three");
    CHECK(get_value(on_b, key).first == "three");
  }
}

TEST_CASE("Redis down: reads miss, requests succeed, readiness says degraded", "[cache]") {
  HostUnderTest host({"fixture_flow"}, {{"CRM_REDIS_PORT", std::to_string(free_port())}});
  const std::string key = random_uuid();
  put_value(host.http(), key, "one");
  for (int i = 0; i < 3; ++i) CHECK(get_value(host.http(), key) == std::make_pair(std::string("one"), false));
  put_value(host.http(), key, "two");
  CHECK(get_value(host.http(), key).first == "two");
  auto ready = host.http().get("/health/ready");
  CHECK(ready.status == 200);
  CHECK(text_of(ready.json(), "status") == "degraded");
  auto metrics = host.http().get("/metrics").body;
  CHECK(metric_value(metrics, "crm_cache_requests", {{"plugin", "fixture_flow"}, {"result", "unavailable"}}) >= 4.0);
}

TEST_CASE("a schedule runs once per interval however many hosts are up", "[schedules]") {
  HostUnderTest a({"fixture_flow"});
  auto b = a.another_host("crm-host-b");
  b->start();
  b->wait_until_live();
  auto ticks = [&] { return a.sql().count("select count(*) from fixture_flow.ledger where kind = 'tick'"); };
  const long long before = ticks();
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const long long during = ticks() - before;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(during << " runs in " << seconds << " s with two hosts");
  CHECK(during >= 2);                                   // it runs
  CHECK(during <= static_cast<long long>(seconds) + 2); // once per second, not once per host
  // Two runs of one occurrence would land milliseconds apart.
  auto gap = a.sql().scalar("select coalesce(min(gap), 1) from (select extract(epoch from at - lag(at) over (order by "
                            "seq)) as gap from fixture_flow.ledger where kind = 'tick') g");
  REQUIRE(gap);
  CHECK(std::stod(*gap) >= 0.2);
}
