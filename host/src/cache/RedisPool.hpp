// RedisPool: a few connections to one Redis server (TCP or TLS), reused across requests.
// When Redis does not answer, the pool says so at once for a short while
// instead of making every request wait for a connect timeout, then tries again.
// Thread-safe.
#pragma once

#include "cache/RedisConnection.hpp"

#include <Poco/Redis/Array.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace crm::cache {

class RedisPool {
public:
  // Throws std::invalid_argument when the TLS settings cannot be used.
  explicit RedisPool(RedisConfig config)
      : config_(std::move(config)), tls_(RedisConnection::tls_context(config_)) {}

  // Sends the commands in one round trip and returns their replies, or nullopt
  // when Redis is unreachable (the caller degrades). Never throws.
  std::optional<Poco::Redis::Array> pipeline(const std::vector<Poco::Redis::Array>& commands);
  // True unless the last attempt failed recently.
  bool available() const;
  // Pings Redis now (for /health/ready).
  bool ping();

private:
  std::unique_ptr<RedisConnection> take();
  void give_back(std::unique_ptr<RedisConnection> client);
  void mark_down(const std::string& why);

  RedisConfig config_;
  Poco::Net::Context::Ptr tls_; // nullptr: plain TCP
  std::mutex mutex_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::atomic<std::int64_t> down_until_ms_{0}; // steady clock, 0: up
  std::atomic<bool> warned_{false};
};

} // namespace crm::cache
