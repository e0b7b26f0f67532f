// RedisPool: a few Poco Redis clients to one server, reused across requests.
// When Redis does not answer, the pool says so at once for a short while
// instead of making every request wait for a connect timeout, then tries again.
// Thread-safe.
#pragma once

#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace crm::cache {

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds timeout{250};  // connect and each reply
  std::chrono::milliseconds retry_after{1000}; // how long "down" is believed
  size_t max_idle = 16;
  // AUTH on every new connection when `password` is set: `AUTH password`, or
  // with an ACL user `AUTH user password` (Redis 6+).
  std::string user, password;
};

class RedisPool {
public:
  explicit RedisPool(RedisConfig config) : config_(std::move(config)) {}

  // Sends the commands in one round trip and returns their replies, or nullopt
  // when Redis is unreachable (the caller degrades). Never throws.
  std::optional<Poco::Redis::Array> pipeline(const std::vector<Poco::Redis::Array>& commands);
  // True unless the last attempt failed recently.
  bool available() const;
  // Pings Redis now (for /health/ready).
  bool ping();

private:
  std::unique_ptr<Poco::Redis::Client> take();
  void give_back(std::unique_ptr<Poco::Redis::Client> client);
  void mark_down(const std::string& why);

  RedisConfig config_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Poco::Redis::Client>> idle_;
  std::atomic<std::int64_t> down_until_ms_{0}; // steady clock, 0: up
  std::atomic<bool> warned_{false};
};

} // namespace crm::cache
