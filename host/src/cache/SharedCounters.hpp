// SharedCounters: integer counters with an expiry, shared by every host
// through Redis (INCRBY + EXPIRE NX + TTL in one round trip). While Redis is
// down they are counted in this process instead, so limits still hold per host
// and nothing fails. Used by the rate limiter and by plugins (counter_add).
// Thread-safe.
#pragma once

#include "cache/RedisPool.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace crm::cache {

class SharedCounters {
public:
  struct Value {
    std::int64_t value = 0;
    std::int64_t ttl_left = -1; // seconds; -1: no expiry (or absent)
    bool shared = true;         // false: counted in process (Redis down)
  };

  // prefix namespaces every key ("crm:<database>:"), so platforms sharing one
  // Redis do not share counters.
  SharedCounters(RedisPool& redis, std::string prefix) : redis_(redis), prefix_(std::move(prefix)) {}

  // Adds delta (0 reads); a counter created by this call expires after
  // ttl_seconds (0: never).
  Value add(const std::string& key, std::int64_t delta, unsigned ttl_seconds);
  // The same for several counters in one round trip (the rate limiter's
  // per-IP and per-user windows).
  std::vector<Value> add_all(const std::vector<std::string>& keys, std::int64_t delta, unsigned ttl_seconds);
  void reset(const std::string& key);
  const std::string& prefix() const { return prefix_; }

private:
  Value add_locally(const std::string& key, std::int64_t delta, unsigned ttl_seconds);

  RedisPool& redis_;
  std::string prefix_;
  struct Local {
    std::int64_t value = 0;
    std::int64_t expires_ms = 0; // steady clock; 0: never
  };
  std::mutex local_mutex_;
  std::unordered_map<std::string, Local> local_;
};

} // namespace crm::cache
