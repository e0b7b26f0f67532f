// SharedCounters: see the header.
#include "cache/SharedCounters.hpp"

#include <Poco/Redis/Type.h>

#include <chrono>

namespace crm::cache {

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool integer_at(const Poco::Redis::Array& replies, size_t i, std::int64_t& out) {
  if (i >= replies.size() || replies.getType(i) != Poco::Redis::RedisTypeTraits<Poco::Int64>::TypeId) return false;
  out = replies.get<Poco::Int64>(i);
  return true;
}

} // namespace

SharedCounters::Value SharedCounters::add(const std::string& key, std::int64_t delta, unsigned ttl_seconds) {
  return add_all({key}, delta, ttl_seconds).front();
}

std::vector<SharedCounters::Value> SharedCounters::add_all(const std::vector<std::string>& keys, std::int64_t delta,
                                                           unsigned ttl_seconds) {
  // Per key: INCRBY, [EXPIRE .. NX], TTL.
  const size_t per_key = ttl_seconds > 0 ? 3 : 2;
  std::vector<Poco::Redis::Array> commands;
  commands.reserve(keys.size() * per_key);
  const std::string delta_text = std::to_string(delta), ttl_text = std::to_string(ttl_seconds);
  for (const auto& key : keys) {
    const std::string full = prefix_ + key;
    Poco::Redis::Array incr;
    incr << "INCRBY" << full << delta_text;
    commands.push_back(std::move(incr));
    if (ttl_seconds > 0) {
      Poco::Redis::Array expire;
      expire << "EXPIRE" << full << ttl_text << "NX";
      commands.push_back(std::move(expire));
    }
    Poco::Redis::Array ttl;
    ttl << "TTL" << full;
    commands.push_back(std::move(ttl));
  }

  std::vector<Value> values(keys.size());
  if (auto replies = redis_.pipeline(commands)) {
    bool ok = true;
    for (size_t k = 0; k < keys.size() && ok; ++k) {
      ok = integer_at(*replies, k * per_key, values[k].value) &&
           integer_at(*replies, k * per_key + per_key - 1, values[k].ttl_left);
      if (values[k].ttl_left < 0) values[k].ttl_left = -1;
    }
    if (ok) return values;
  }
  for (size_t k = 0; k < keys.size(); ++k) values[k] = add_locally(keys[k], delta, ttl_seconds);
  return values;
}

void SharedCounters::reset(const std::string& key) {
  Poco::Redis::Array del;
  del << "DEL" << (prefix_ + key);
  redis_.pipeline({del});
  std::lock_guard lock(local_mutex_);
  local_.erase(key);
}

SharedCounters::Value SharedCounters::add_locally(const std::string& key, std::int64_t delta, unsigned ttl_seconds) {
  const std::int64_t now = steady_ms();
  std::lock_guard lock(local_mutex_);
  if (local_.size() > 100000) // a long outage: forget the expired ones
    for (auto it = local_.begin(); it != local_.end();)
      it = it->second.expires_ms && it->second.expires_ms <= now ? local_.erase(it) : std::next(it);
  Local& c = local_[key];
  if (c.expires_ms && c.expires_ms <= now) c = Local{};
  if (c.value == 0 && c.expires_ms == 0 && ttl_seconds > 0) c.expires_ms = now + std::int64_t(ttl_seconds) * 1000;
  c.value += delta;
  Value v;
  v.value = c.value;
  v.ttl_left = c.expires_ms ? (c.expires_ms - now + 999) / 1000 : -1;
  v.shared = false;
  return v;
}

} // namespace crm::cache
