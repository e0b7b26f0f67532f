// FrontDoorProbes: the measurements the front-door tests take of a running
// host over raw connections: a timed request on a fresh connection, the
// /metrics text, the median of a few timings, and whether a host still serves
// a new connection at all.
#pragma once

#include "support/Checks.hpp"
#include "support/RawConnection.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace itest {

struct TimedReply {
  std::optional<RawResponse> reply; // nullopt: no whole reply within the timeout
  double ms = 0;                    // from connect to the whole reply
};

// One request on a fresh connection from `source` (empty: 127.0.0.1), timed
// from before the connect to the last byte of the reply.
inline TimedReply timed_request(int port, const std::string& request, const std::string& source = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  TimedReply t;
  const auto start = std::chrono::steady_clock::now();
  try {
    RawConnection c(port, source);
    c.send(request);
    t.reply = c.read_response(timeout);
  } catch (const std::exception&) {
    t.reply.reset();
  }
  t.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return t;
}

inline TimedReply timed_live_probe(int port, const std::string& source = {}) {
  return timed_request(port, raw_request("GET", "/health/live"), source);
}

// The median of `values` (not empty).
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// GET /metrics on a fresh connection from `source`; "" when it did not answer 200.
inline std::string metrics_text(int port, const std::string& source = {}) {
  auto t = timed_request(port, raw_request("GET", "/metrics"), source);
  return t.reply && t.reply->status == 200 ? t.reply->body : std::string();
}

// GET /metrics on a connection the test already holds (when no new one would be let in).
inline std::string metrics_text(RawConnection& c) {
  c.send(raw_request("GET", "/metrics"));
  auto r = c.read_response(std::chrono::seconds(5));
  return r && r->status == 200 ? r->body : std::string();
}

// One sample of /metrics, 0 when the metric is not there (a counter never
// incremented may be left out).
inline double metric_or_zero(const std::string& text, const std::string& name,
                             const std::map<std::string, std::string>& labels = {}) {
  return metric_value(text, name, labels).value_or(0);
}

// A connection from `source` that the host accepted and then closed without
// answering the request sent on it: how a connection past a cap is refused.
// False when the host answered it.
inline bool closed_unanswered(int port, const std::string& source, std::chrono::milliseconds timeout) {
  try {
    RawConnection c(port, source);
    c.send(raw_request("GET", "/health/live"));
    if (!c.wait_closed(timeout)) return false;
    return c.pending().find("HTTP/1.1 200") == std::string::npos;
  } catch (const std::exception&) {
    return true; // refused at connect: not served either
  }
}

} // namespace itest
