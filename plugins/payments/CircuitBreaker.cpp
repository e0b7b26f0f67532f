// CircuitBreaker: see the header.
#include "CircuitBreaker.hpp"

#include <algorithm>

namespace payments {

CircuitBreaker::CircuitBreaker(Settings settings) : settings_(settings) {
  settings_.window = std::max<std::size_t>(1, settings_.window);
  settings_.minimum_calls = std::clamp<std::size_t>(settings_.minimum_calls, 1, settings_.window);
  settings_.half_open_calls = std::max<std::size_t>(1, settings_.half_open_calls);
  outcomes_.assign(settings_.window, false);
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
  if (state_ == State::Open && now - opened_at_ >= settings_.open_for) return State::HalfOpen;
  return state_;
}

bool CircuitBreaker::allow(Clock::time_point now) {
  if (state_ == State::Open) {
    if (now - opened_at_ < settings_.open_for) return false;
    state_ = State::HalfOpen;
    trials_started_ = trials_succeeded_ = 0;
  }
  if (state_ == State::HalfOpen) {
    if (trials_started_ >= settings_.half_open_calls) return false;
    ++trials_started_;
  }
  return true;
}

void CircuitBreaker::record_success(Clock::time_point) {
  if (state_ == State::HalfOpen) {
    if (++trials_succeeded_ >= settings_.half_open_calls) close();
    return;
  }
  if (state_ == State::Closed) remember(false);
  // Open: a call let through before the circuit opened; it changes nothing.
}

void CircuitBreaker::record_failure(Clock::time_point now) {
  if (state_ == State::HalfOpen) {
    open(now);
    return;
  }
  if (state_ != State::Closed) return;
  remember(true);
  if (filled_ >= settings_.minimum_calls &&
      static_cast<double>(failures_) >= settings_.failure_ratio * static_cast<double>(filled_))
    open(now);
}

void CircuitBreaker::open(Clock::time_point now) {
  state_ = State::Open;
  opened_at_ = now;
  trials_started_ = trials_succeeded_ = 0;
}

void CircuitBreaker::close() {
  state_ = State::Closed;
  std::fill(outcomes_.begin(), outcomes_.end(), false);
  next_ = filled_ = failures_ = 0;
}

void CircuitBreaker::remember(bool failed) {
  if (filled_ == outcomes_.size()) {
    if (outcomes_[next_]) --failures_; // the oldest outcome leaves the window
  } else {
    ++filled_;
  }
  outcomes_[next_] = failed;
  if (failed) ++failures_;
  next_ = (next_ + 1) % outcomes_.size();
}

const char* state_name(CircuitBreaker::State state) {
  switch (state) {
  case CircuitBreaker::State::Closed: return "closed";
  case CircuitBreaker::State::Open: return "open";
  case CircuitBreaker::State::HalfOpen: return "half-open";
  }
  return "unknown";
}

} // namespace payments
