// RedisPool: see the header.
#include "cache/RedisPool.hpp"

#include "log/Log.hpp"


namespace crm::cache {

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

bool RedisPool::available() const {
  const auto until = down_until_ms_.load(std::memory_order_relaxed);
  return until == 0 || steady_ms() >= until;
}

std::unique_ptr<RedisConnection> RedisPool::take() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  // A refused AUTH or certificate throws: the caller treats the server as
  // down, and the log says why once.
  return std::make_unique<RedisConnection>(config_, tls_);
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> client) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < config_.max_idle) idle_.push_back(std::move(client));
}

void RedisPool::mark_down(const std::string& why) {
  down_until_ms_.store(steady_ms() + config_.retry_after.count(), std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    idle_.clear(); // their sockets are as dead as the server
  }
  if (!warned_.exchange(true))
    log::warn("cache", "redis is unreachable; counting in process and caching nothing until it is back",
              {{"redis", config_.host + ":" + std::to_string(config_.port)}, {"error", why}});
}

std::optional<Poco::Redis::Array> RedisPool::pipeline(const std::vector<Poco::Redis::Array>& commands) {
  if (!available()) return std::nullopt;
  try {
    auto client = take();
    Poco::Redis::Array replies = client->send(commands);
    give_back(std::move(client));
    if (down_until_ms_.exchange(0) != 0 && warned_.exchange(false))
      log::info("cache", "redis is reachable again", {});
    return replies;
  } catch (const std::exception& e) {
    mark_down(e.what());
    return std::nullopt;
  }
}

bool RedisPool::ping() {
  Poco::Redis::Array ping;
  ping << "PING";
  down_until_ms_.store(0, std::memory_order_relaxed); // a probe always tries
  return pipeline({ping}).has_value();
}

} // namespace crm::cache
