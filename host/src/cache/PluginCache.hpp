// PluginCache: the plugins' cache in Redis behind cache_get/cache_set/
// cache_del of the host API. Keys are namespaced per plugin
// (<prefix>cache:<plugin>:<key>). Never a stale read after a committed change,
// also across hosts: every key has a generation counter in Redis; a value is
// stored with the generation its reader saw on the miss, and a deletion
// (applied after the writer's commit) bumps the generation, so a value read
// before the change and stored after it no longer matches and is a miss.
// Redis down: reads miss (one warning), writes are dropped, and deletions are
// kept and retried; while any is pending this host serves nothing from the
// cache. Thread-safe.
#pragma once

#include "cache/RedisPool.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace crm::cache {

class PluginCache {
public:
  PluginCache(RedisPool& redis, std::string prefix, unsigned default_ttl_seconds, unsigned max_ttl_seconds);

  enum class Result { Hit, Miss, Unavailable };
  // On Hit, value holds it. On Miss, generation holds what a later set() for
  // this key must carry.
  Result get(const std::string& plugin, const std::string& key, std::string& value, std::string& generation);
  // Stores value under the generation a get() saw (empty: the current one,
  // read now). ttl 0: the default; capped at the maximum.
  void set(const std::string& plugin, const std::string& key, const std::string& generation,
           std::string_view value, unsigned ttl_seconds);
  // Ends the cached copies of these keys (call after the change committed).
  void invalidate(const std::string& plugin, const std::vector<std::string>& keys);

  struct Stats {
    long long hits = 0, misses = 0, unavailable = 0;
  };
  std::map<std::string, Stats> stats() const; // per plugin

private:
  struct Counters {
    std::atomic<long long> hits{0}, misses{0}, unavailable{0};
  };
  Counters& counters_for(const std::string& plugin);
  std::string value_key(const std::string& plugin, const std::string& key) const;
  // Sends the waiting deletions. wait_for_turn false: gives up at once
  // (false) when another thread is sending them.
  bool flush_pending(bool wait_for_turn);

  RedisPool& redis_;
  std::string prefix_;
  unsigned default_ttl_, max_ttl_;
  mutable std::mutex mutex_;
  std::mutex flush_mutex_; // one thread sends the waiting deletions at a time
  std::map<std::string, std::unique_ptr<Counters>> counters_;
  std::set<std::string> pending_; // value keys whose generation could not be bumped yet
  std::atomic<bool> has_pending_{false};
  std::atomic<bool> warned_{false};
};

} // namespace crm::cache
