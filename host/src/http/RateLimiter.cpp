// RateLimiter: see the header.
#include "http/RateLimiter.hpp"

#include <vector>

namespace crm::http {

namespace {
constexpr long kWindowSeconds = 60;

std::string window_key(const std::string& key, long window) { return key + ":" + std::to_string(window); }
} // namespace

RateLimiter::RateLimiter(cache::SharedCounters& counters, std::map<std::string, RateLimit> limits,
                         std::chrono::milliseconds flush_interval)
    : counters_(counters), limits_(std::move(limits)), flush_interval_(flush_interval) {
  flusher_ = std::thread([this] {
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, flush_interval_, [this] { return stopping_; })) {
      lock.unlock();
      flush();
      lock.lock();
    }
  });
}

RateLimiter::~RateLimiter() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  flush();
}

int RateLimiter::check(const std::string& rate_class, const std::string& client_ip, const std::string& user) {
  auto it = limits_.find(rate_class);
  if (it == limits_.end()) it = limits_.find("api");
  if (it == limits_.end()) return 0;
  const RateLimit& limit = it->second;
  const bool by_ip = limit.per_ip > 0, by_user = limit.per_user > 0 && !user.empty();
  if (!by_ip && !by_user) return 0;

  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const long window = static_cast<long>(now / kWindowSeconds);
  const int retry_after = static_cast<int>(kWindowSeconds - now % kWindowSeconds);
  if (by_ip && count("rl:" + it->first + ":ip:" + client_ip, window) > limit.per_ip) return retry_after;
  if (by_user && count("rl:" + it->first + ":user:" + user, window) > limit.per_user) return retry_after;
  return 0;
}

long long RateLimiter::count(const std::string& key, long window) {
  {
    std::lock_guard lock(mutex_);
    Window& w = windows_[key];
    if (w.window != window) w = Window{window, -1, 0};
    if (w.shared >= 0) return w.shared + ++w.local;
  }
  // First request of this key in this window: learn the shared count (and add
  // this request to it) before deciding.
  const long long shared = counters_.add(window_key(key, window), 1, kWindowSeconds + 5).value;
  std::lock_guard lock(mutex_);
  Window& w = windows_[key];
  if (w.window != window) w = Window{window, -1, 0};
  if (w.shared < 0) w.shared = shared;
  return w.shared + w.local;
}

void RateLimiter::flush() {
  // Take the local counts, send them, then fold the answers back in; requests
  // counted meanwhile stay in `local` for the next flush.
  struct Pending {
    std::string key;
    long window;
    long long sent;
  };
  std::vector<Pending> pending;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const long current = static_cast<long>(now / kWindowSeconds);
  {
    std::lock_guard lock(mutex_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      Window& w = it->second;
      if (w.window < current && w.local == 0) { // a past window with nothing left to send
        it = windows_.erase(it);
        continue;
      }
      if (w.shared >= 0) pending.push_back({it->first, w.window, w.local}); // local 0: just read
      ++it;
    }
  }
  if (pending.empty()) return;
  for (const auto& p : pending) {
    // One key per call keeps the per-key TTL; most flushes carry a handful.
    auto value = counters_.add(window_key(p.key, p.window), p.sent, kWindowSeconds + 5);
    std::lock_guard lock(mutex_);
    auto it = windows_.find(p.key);
    if (it == windows_.end() || it->second.window != p.window) continue;
    it->second.local -= p.sent;
    it->second.shared = value.value;
  }
}

} // namespace crm::http
