// The plugins' cache (Redis through cache_get/cache_set/cache_del) and the
// plugins' schedules, against running hosts: a read is served from the cache
// once warm; a committed change is never followed by a stale read, also on
// another host and also when the change slips in between a reader's database
// read and its cache fill; Redis down is a miss, never a failed request. A
// schedule's runs happen on one host at a time.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include "cache/PluginCache.hpp"
#include "cache/RedisPool.hpp"

#include <Poco/Redis/Client.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

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

  // A reader that read "three" from the database fills the cache only after
  // a writer on B committed "four": the fill must not stick. The cache is
  // empty when the reader starts (the write just ended the cached copy), so
  // it reads the database; it then waits for an advisory lock this test
  // holds until B's write has committed.
  put_value(on_b, key, "three");
  auto gate = a.sql();
  const std::string lock = "4242";
  gate.query("select pg_advisory_lock($1::bigint)", {lock});
  auto slow = std::async(std::launch::async, [&] {
    Http http(a.port());
    return get_value(http, key, "?waitLock=" + lock);
  });
  auto watch = a.sql();
  REQUIRE(eventually([&] {
    return watch.count("select count(*) from pg_locks where locktype = 'advisory' and objid = $1::oid "
                       "and not granted",
                       {lock}) == 1;
  }, std::chrono::seconds(10)));
  put_value(on_b, key, "four");
  gate.query("select pg_advisory_unlock($1::bigint)", {lock});
  auto slow_read = slow.get();
  CHECK(slow_read.first == "three"); // what it read before the change
  CHECK_FALSE(slow_read.second);
  for (int i = 0; i < 3; ++i) {
    CHECK(get_value(a.http(), key).first == "four");
    CHECK(get_value(on_b, key).first == "four");
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

// A saga's batch drops thousands of keys at once (customer.reassign_owner:
// 5,000). Readers arriving meanwhile go to the database; they must not send
// the deletions again themselves (each did, once: every reader of the host
// stalled behind its own copy of the whole batch).
TEST_CASE("a large cache deletion is sent once while readers keep reading, and leaves no value behind", "[cache]") {
  require_services();
  crm::cache::RedisConfig config;
  config.port = std::stoi(env_or("CRM_REDIS_PORT", "6379"));
  crm::cache::RedisPool redis(config);
  const std::string prefix = "itest-" + random_hex(8) + ":";
  crm::cache::PluginCache cache(redis, prefix, 300, 3600);
  constexpr int kKeys = 5000;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("customer:" + std::to_string(i));
  for (const auto& key : keys) cache.set("p", key, "", "old", 0);
  std::string value, generation;
  REQUIRE(cache.get("p", keys[17], value, generation) == crm::cache::PluginCache::Result::Hit);
  REQUIRE(value == "old");

  std::atomic<bool> stop{false};
  std::atomic<long long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r)
    readers.emplace_back([&, r] {
      std::string v, g;
      for (int i = r; !stop; i = (i + 7) % kKeys) {
        cache.get("p", keys[static_cast<size_t>(i)], v, g);
        ++reads;
      }
    });
  while (reads < 100) std::this_thread::yield();
  cache.invalidate("p", keys);
  stop = true;
  for (auto& t : readers) t.join();

  // Each generation went up exactly once, and no value is left.
  Poco::Redis::Client client("127.0.0.1", config.port);
  for (int at = 0; at < kKeys; at += 500) {
    Poco::Redis::Array mget;
    mget << "MGET";
    for (int i = at; i < at + 500; ++i) mget << prefix + "cache:p:" + keys[static_cast<size_t>(i)] + ":gen";
    const auto gens = client.execute<Poco::Redis::Array>(mget);
    REQUIRE(gens.size() == 500);
    for (int i = 0; i < 500; ++i) {
      INFO("key " << keys[static_cast<size_t>(at + i)]);
      const auto gen = gens.get<Poco::Redis::BulkString>(static_cast<size_t>(i));
      REQUIRE_FALSE(gen.isNull());
      REQUIRE(gen.value() == "1");
    }
  }
  for (const auto& key : {keys[0], keys[17], keys[kKeys - 1]}) {
    Poco::Redis::Array exists;
    exists << "EXISTS" << prefix + "cache:p:" + key;
    CHECK(client.execute<Poco::Int64>(exists) == 0);
    CHECK(cache.get("p", key, value, generation) == crm::cache::PluginCache::Result::Miss);
    CHECK(generation == "1");
  }
  // The next fill is served again.
  cache.set("p", keys[17], generation, "new", 0);
  REQUIRE(cache.get("p", keys[17], value, generation) == crm::cache::PluginCache::Result::Hit);
  CHECK(value == "new");
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
