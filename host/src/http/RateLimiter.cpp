// RateLimiter: see the header.
#include "http/RateLimiter.hpp"

#include <chrono>
#include <vector>

namespace crm::http {

namespace {
constexpr long kWindowSeconds = 60;
}

int RateLimiter::check(const std::string& rate_class, const std::string& client_ip, const std::string& user) {
  auto it = limits_.find(rate_class);
  if (it == limits_.end()) it = limits_.find("api");
  if (it == limits_.end()) return 0;
  const RateLimit& limit = it->second;
  const bool by_ip = limit.per_ip > 0, by_user = limit.per_user > 0 && !user.empty();
  if (!by_ip && !by_user) return 0;

  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const long window = static_cast<long>(now / kWindowSeconds);
  const int retry_after = static_cast<int>(kWindowSeconds - now % kWindowSeconds);
  const std::string suffix = ":" + std::to_string(window);
  std::vector<std::string> keys;
  keys.reserve(2);
  if (by_ip) keys.push_back("rl:" + it->first + ":ip:" + client_ip + suffix);
  if (by_user) keys.push_back("rl:" + it->first + ":user:" + user + suffix);

  auto values = counters_.add_all(keys, 1, kWindowSeconds + 5);
  size_t i = 0;
  if (by_ip && values[i++].value > limit.per_ip) return retry_after;
  if (by_user && values[i].value > limit.per_user) return retry_after;
  return 0;
}

} // namespace crm::http
