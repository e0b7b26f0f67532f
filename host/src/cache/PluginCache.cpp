// PluginCache: see the header.
#include "cache/PluginCache.hpp"

#include "log/Log.hpp"

#include <Poco/Redis/Array.h>
#include <Poco/Redis/Type.h>

#include <algorithm>

namespace crm::cache {

namespace {

Poco::Redis::Array command(std::initializer_list<std::string> words) {
  Poco::Redis::Array a;
  for (const auto& w : words) a << w;
  return a;
}

// A bulk string reply's text; empty optional for nil or anything else.
std::optional<std::string> bulk(const Poco::Redis::Array& replies, size_t i) {
  if (replies.isNull() || i >= replies.size() ||
      replies.getType(i) != Poco::Redis::RedisTypeTraits<Poco::Redis::BulkString>::TypeId)
    return std::nullopt;
  auto b = replies.get<Poco::Redis::BulkString>(i);
  if (b.isNull()) return std::nullopt;
  return b.value();
}

// The nested array of an MGET reply.
std::optional<Poco::Redis::Array> nested(const Poco::Redis::Array& replies, size_t i) {
  if (replies.isNull() || i >= replies.size() ||
      replies.getType(i) != Poco::Redis::RedisTypeTraits<Poco::Redis::Array>::TypeId)
    return std::nullopt;
  return replies.get<Poco::Redis::Array>(i);
}

} // namespace

PluginCache::PluginCache(RedisPool& redis, std::string prefix, unsigned default_ttl_seconds, unsigned max_ttl_seconds)
    : redis_(redis), prefix_(std::move(prefix)), default_ttl_(default_ttl_seconds), max_ttl_(max_ttl_seconds) {}

std::string PluginCache::value_key(const std::string& plugin, const std::string& key) const {
  return prefix_ + "cache:" + plugin + ":" + key;
}

PluginCache::Counters& PluginCache::counters_for(const std::string& plugin) {
  std::lock_guard lock(mutex_);
  auto& slot = counters_[plugin];
  if (!slot) slot = std::make_unique<Counters>();
  return *slot;
}

PluginCache::Result PluginCache::get(const std::string& plugin, const std::string& key, std::string& value,
                                     std::string& generation) {
  Counters& c = counters_for(plugin);
  // Deletions still waiting: read nothing from the cache until they are done.
  // A reader helps only when nobody is at it already (after Redis came back);
  // during a writer's flush it goes to the database instead of queueing.
  if (has_pending_.load(std::memory_order_relaxed) && !flush_pending(false)) {
    ++c.unavailable;
    return Result::Unavailable;
  }
  const std::string k = value_key(plugin, key);
  auto replies = redis_.pipeline({command({"MGET", k, k + ":gen"})});
  auto pair = replies ? nested(*replies, 0) : std::nullopt;
  if (!pair) {
    ++c.unavailable;
    return Result::Unavailable;
  }
  auto stored = bulk(*pair, 0);
  generation = bulk(*pair, 1).value_or("0");
  // Stored as "<generation>\n<value>".
  if (stored) {
    const size_t nl = stored->find('\n');
    if (nl != std::string::npos && stored->compare(0, nl, generation) == 0) {
      value.assign(*stored, nl + 1, std::string::npos);
      ++c.hits;
      return Result::Hit;
    }
  }
  ++c.misses;
  return Result::Miss;
}

void PluginCache::set(const std::string& plugin, const std::string& key, const std::string& generation,
                      std::string_view value, unsigned ttl_seconds) {
  if (has_pending_.load(std::memory_order_relaxed)) return;
  const std::string k = value_key(plugin, key);
  std::string gen = generation;
  if (gen.empty()) {
    auto replies = redis_.pipeline({command({"GET", k + ":gen"})});
    if (!replies) return;
    gen = bulk(*replies, 0).value_or("0");
  }
  unsigned ttl = ttl_seconds ? ttl_seconds : default_ttl_;
  if (ttl > max_ttl_) ttl = max_ttl_;
  std::string stored;
  stored.reserve(gen.size() + 1 + value.size());
  stored.append(gen).append(1, '\n').append(value);
  redis_.pipeline({command({"SET", k, stored, "EX", std::to_string(ttl)})});
}

void PluginCache::invalidate(const std::string& plugin, const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const auto& key : keys) pending_.insert(value_key(plugin, key));
    has_pending_ = true;
  }
  flush_pending(true);
}

namespace {

// One round trip for a chunk of deletions: KEYS holds each value key followed
// by its generation key; the generation goes up (and outlives every value
// stored under the old one, ARGV[1] seconds), the value goes.
constexpr const char* kDeleteScript =
    "for i = 1, #KEYS, 2 do "
    "redis.call('INCR', KEYS[i + 1]) redis.call('EXPIRE', KEYS[i + 1], ARGV[1]) redis.call('DEL', KEYS[i]) "
    "end return #KEYS / 2";

// Keys per script call: Redis runs a script without serving anyone else, and
// 256 keys take it under a millisecond. All the calls go in one pipeline: the
// client writes in small pieces without TCP_NODELAY (Poco's Redis client does
// not expose its socket), so every separate round trip of more than a
// kilobyte waits about 40 ms for the server's delayed ACK.
constexpr size_t kDeleteChunk = 256;

// Whether each of the n replies is the count the script returns.
bool script_counts(const Poco::Redis::Array& replies, size_t n) {
  if (replies.isNull() || replies.size() != n) return false;
  for (size_t i = 0; i < n; ++i)
    if (replies.getType(i) != Poco::Redis::RedisTypeTraits<Poco::Int64>::TypeId) return false;
  return true;
}

} // namespace

bool PluginCache::flush_pending(bool wait_for_turn) {
  std::unique_lock turn(flush_mutex_, std::defer_lock);
  if (wait_for_turn) {
    turn.lock();
  } else if (!turn.try_lock()) {
    return false;
  }
  std::vector<std::string> keys;
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty()) return true;
    keys.assign(pending_.begin(), pending_.end());
  }
  const std::string gen_ttl = std::to_string(max_ttl_ + 60);
  std::vector<Poco::Redis::Array> commands;
  commands.reserve(keys.size() / kDeleteChunk + 1);
  for (size_t at = 0; at < keys.size(); at += kDeleteChunk) {
    const size_t end = std::min(keys.size(), at + kDeleteChunk);
    Poco::Redis::Array& eval = commands.emplace_back();
    eval << "EVAL" << kDeleteScript << std::to_string(2 * (end - at));
    for (size_t i = at; i < end; ++i) eval << keys[i] << keys[i] + ":gen";
    eval << gen_ttl;
  }
  // Unreachable, or answered with anything but a count per script: the
  // deletions keep waiting (a value served meanwhile could be stale).
  const auto replies = redis_.pipeline(commands);
  if (!replies || !script_counts(*replies, commands.size())) {
    if (!warned_.exchange(true))
      log::warn("cache",
                (replies ? "Redis refused the cache deletions (" + replies->toString() + ")" : "Redis is unreachable") +
                    ": " + std::to_string(keys.size()) +
                    " cache deletion(s) wait; this host reads nothing from the cache until they are done",
                {});
    return false;
  }
  if (warned_.exchange(false)) log::info("cache", "the waiting cache deletions are done; the cache is in use again", {});
  std::lock_guard lock(mutex_);
  for (const auto& k : keys) pending_.erase(k);
  has_pending_ = !pending_.empty();
  return !has_pending_;
}

std::map<std::string, PluginCache::Stats> PluginCache::stats() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, Stats> out;
  for (const auto& [plugin, c] : counters_) out[plugin] = Stats{c->hits.load(), c->misses.load(), c->unavailable.load()};
  return out;
}

} // namespace crm::cache
