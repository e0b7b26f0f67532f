// CircuitBreaker: whether a call to a failing dependency should be tried at
// all. Pure logic: it reads no clock (the caller passes the time in) and
// takes no lock (the caller holds one), so tests drive it step by step.
//
//   closed    every call goes through; the outcomes of the last `window`
//             calls are kept, and once at least `minimum_calls` of them are
//             known and the failed share reaches `failure_ratio`, it opens;
//   open      calls are refused at once, for `open_for`;
//   half-open then up to `half_open_calls` trial calls go through (others
//             are refused); a failed trial opens it again, and once that many
//             trials succeeded it closes with an empty window.
//
// "Failure" is the dependency not answering properly (a timeout, an error);
// a business refusal (a declined card) is an answer, hence a success.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace payments {

class CircuitBreaker {
public:
  using Clock = std::chrono::steady_clock;
  enum class State { Closed = 0, Open = 1, HalfOpen = 2 };

  struct Settings {
    std::size_t window = 20;
    std::size_t minimum_calls = 10;
    double failure_ratio = 0.5;
    std::chrono::milliseconds open_for = std::chrono::seconds(30);
    std::size_t half_open_calls = 1;
  };

  explicit CircuitBreaker(Settings settings);

  // May a call start now? A yes must be followed by exactly one
  // record_success or record_failure for that call.
  bool allow(Clock::time_point now);
  void record_success(Clock::time_point now);
  void record_failure(Clock::time_point now);

  // The state at `now` (an open circuit whose time is up reads half-open).
  State state(Clock::time_point now) const;
  // How many of the window's calls failed, and how many it holds.
  std::size_t failures() const { return failures_; }
  std::size_t calls() const { return filled_; }

private:
  void open(Clock::time_point now);
  void close();
  void remember(bool failed);

  Settings settings_;
  State state_ = State::Closed;
  Clock::time_point opened_at_{};
  // The last `window` outcomes as a ring: true = failed.
  std::vector<bool> outcomes_;
  std::size_t next_ = 0, filled_ = 0, failures_ = 0;
  // Half-open: trials let through, and how many of them succeeded.
  std::size_t trials_started_ = 0, trials_succeeded_ = 0;
};

const char* state_name(CircuitBreaker::State state);

} // namespace payments
