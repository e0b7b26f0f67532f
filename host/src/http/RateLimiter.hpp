// RateLimiter: requests per minute per client IP and per user, by class of
// route (an operation's rate_class: "auth" for logins, "api" for the rest).
// Fixed one-minute windows counted in SharedCounters (Redis), so several hosts
// sharing one Redis enforce one limit together (each host alone while Redis is
// down).
//
// The hot path costs no round trip: the first request of a key in a window
// asks Redis for the shared count (one INCR), later ones count locally and a
// background flush adds the local counts to Redis every flush interval,
// reading back what the other hosts added. The limit is exact on one host and
// may be overshot by what other hosts admit within one flush interval.
#pragma once

#include "cache/SharedCounters.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace crm::http {

struct RateLimit {
  long per_ip = 0;   // requests per minute; 0: no limit
  long per_user = 0;
};

class RateLimiter {
public:
  RateLimiter(cache::SharedCounters& counters, std::map<std::string, RateLimit> limits,
              std::chrono::milliseconds flush_interval = std::chrono::milliseconds(100));
  ~RateLimiter(); // flushes once more and stops

  // 0 when the request may go on, else the seconds to wait (Retry-After).
  // user is empty for anonymous callers. An unknown class uses "api".
  int check(const std::string& rate_class, const std::string& client_ip, const std::string& user);

  // Adds the local counts to Redis now (the flush thread does this on its own).
  void flush();

private:
  struct Window {
    long window = -1;
    long long shared = -1; // the count Redis gave at the last sync; -1: not asked yet
    long long local = 0;   // counted here since that sync
  };
  // Counts one request on `key`; returns the total seen for it in this window.
  long long count(const std::string& key, long window);

  cache::SharedCounters& counters_;
  std::map<std::string, RateLimit> limits_;
  std::chrono::milliseconds flush_interval_;

  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_; // "rl:<class>:ip:<ip>" -> its current window

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread flusher_;
};

} // namespace crm::http
