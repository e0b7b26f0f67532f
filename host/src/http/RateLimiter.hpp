// RateLimiter: requests per minute per client IP and per user, by class of
// route (an operation's rate_class: "auth" for logins, "api" for the rest).
// Fixed one-minute windows counted in SharedCounters, so several hosts sharing
// one Redis enforce one limit together (each host alone while Redis is down).
#pragma once

#include "cache/SharedCounters.hpp"

#include <map>
#include <string>

namespace crm::http {

struct RateLimit {
  long per_ip = 0;   // requests per minute; 0: no limit
  long per_user = 0;
};

class RateLimiter {
public:
  RateLimiter(cache::SharedCounters& counters, std::map<std::string, RateLimit> limits)
      : counters_(counters), limits_(std::move(limits)) {}

  // 0 when the request may go on, else the seconds to wait (Retry-After).
  // user is empty for anonymous callers. An unknown class uses "api".
  int check(const std::string& rate_class, const std::string& client_ip, const std::string& user);

private:
  cache::SharedCounters& counters_;
  std::map<std::string, RateLimit> limits_;
};

} // namespace crm::http
