// The payments plugin's circuit breaker (plugins/payments/CircuitBreaker),
// driven with made-up times: when it opens, how long it refuses, the
// half-open trials and what closes or reopens it.
#include "payments/CircuitBreaker.hpp"

#include <catch2/catch.hpp>

using payments::CircuitBreaker;
using namespace std::chrono_literals;

namespace {

CircuitBreaker::Settings small() {
  CircuitBreaker::Settings s;
  s.window = 4;
  s.minimum_calls = 2;
  s.failure_ratio = 0.5;
  s.open_for = 1s;
  s.half_open_calls = 1;
  return s;
}

const CircuitBreaker::Clock::time_point t0{};

// One call at `now` that ends as `failed` says.
void call(CircuitBreaker& b, CircuitBreaker::Clock::time_point now, bool failed) {
  REQUIRE(b.allow(now));
  if (failed) b.record_failure(now);
  else b.record_success(now);
}

} // namespace

TEST_CASE("a closed circuit lets every call through while failures stay below the ratio", "[payments][breaker]") {
  CircuitBreaker b(small());
  for (int i = 0; i < 20; ++i) {
    call(b, t0 + std::chrono::milliseconds(i), false);
    call(b, t0 + std::chrono::milliseconds(i), i % 4 == 3); // at most one failure in any four calls
    CHECK(b.state(t0 + std::chrono::milliseconds(i)) == CircuitBreaker::State::Closed);
  }
}

TEST_CASE("the circuit opens when the failed share of the window reaches the ratio", "[payments][breaker]") {
  CircuitBreaker b(small());
  call(b, t0, false);
  call(b, t0, false);
  call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Closed); // 1 of 3
  call(b, t0, true);                                   // 2 of 4: 50%
  CHECK(b.state(t0) == CircuitBreaker::State::Open);
  CHECK_FALSE(b.allow(t0 + 999ms));
}

TEST_CASE("the circuit does not open before the minimum number of calls", "[payments][breaker]") {
  auto settings = small();
  settings.minimum_calls = 3;
  CircuitBreaker b(settings);
  call(b, t0, true);
  call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Closed);
  call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Open);
}

TEST_CASE("old outcomes leave the sliding window", "[payments][breaker]") {
  auto settings = small();
  settings.minimum_calls = 4;
  CircuitBreaker b(settings);
  call(b, t0, true); // this failure slides out below
  call(b, t0, false);
  call(b, t0, false);
  call(b, t0, false);
  CHECK(b.failures() == 1);
  call(b, t0, false);
  CHECK(b.failures() == 0);
  CHECK(b.calls() == 4);
  call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Closed); // 1 of 4 is below 50%
}

TEST_CASE("an open circuit refuses until its time is up, then lets one trial through", "[payments][breaker]") {
  CircuitBreaker b(small());
  call(b, t0, true);
  call(b, t0, true);
  REQUIRE(b.state(t0) == CircuitBreaker::State::Open);
  CHECK_FALSE(b.allow(t0 + 500ms));
  CHECK(b.state(t0 + 1s) == CircuitBreaker::State::HalfOpen);
  CHECK(b.allow(t0 + 1s));
  CHECK_FALSE(b.allow(t0 + 1s)); // one trial at a time
}

TEST_CASE("a successful trial closes the circuit with an empty window", "[payments][breaker]") {
  CircuitBreaker b(small());
  call(b, t0, true);
  call(b, t0, true);
  REQUIRE(b.allow(t0 + 1s));
  b.record_success(t0 + 1s);
  CHECK(b.state(t0 + 1s) == CircuitBreaker::State::Closed);
  CHECK(b.calls() == 0);
  call(b, t0 + 1s, true); // one failure alone is below the minimum
  CHECK(b.state(t0 + 1s) == CircuitBreaker::State::Closed);
}

TEST_CASE("a failed trial opens the circuit again for the whole open time", "[payments][breaker]") {
  CircuitBreaker b(small());
  call(b, t0, true);
  call(b, t0, true);
  REQUIRE(b.allow(t0 + 2s));
  b.record_failure(t0 + 2s);
  CHECK(b.state(t0 + 2s) == CircuitBreaker::State::Open);
  CHECK_FALSE(b.allow(t0 + 2s + 999ms));
  CHECK(b.allow(t0 + 3s));
}

TEST_CASE("with several half-open trials all must succeed to close", "[payments][breaker]") {
  auto settings = small();
  settings.half_open_calls = 2;
  CircuitBreaker b(settings);
  call(b, t0, true);
  call(b, t0, true);
  REQUIRE(b.allow(t0 + 1s));
  REQUIRE(b.allow(t0 + 1s));
  CHECK_FALSE(b.allow(t0 + 1s));
  b.record_success(t0 + 1s);
  CHECK(b.state(t0 + 1s) == CircuitBreaker::State::HalfOpen);
  b.record_success(t0 + 1s);
  CHECK(b.state(t0 + 1s) == CircuitBreaker::State::Closed);
}

TEST_CASE("a late answer of a call let through before the circuit opened changes nothing", "[payments][breaker]") {
  CircuitBreaker b(small());
  REQUIRE(b.allow(t0)); // a slow call starts
  call(b, t0, true);
  call(b, t0, true);
  REQUIRE(b.state(t0) == CircuitBreaker::State::Open);
  b.record_success(t0 + 10ms); // the slow call answers
  CHECK(b.state(t0 + 10ms) == CircuitBreaker::State::Open);
}

TEST_CASE("the defaults open at 50% of at least 10 calls of 20 and stay open 30 s", "[payments][breaker]") {
  CircuitBreaker b(CircuitBreaker::Settings{});
  for (int i = 0; i < 9; ++i) call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Closed);
  call(b, t0, true);
  CHECK(b.state(t0) == CircuitBreaker::State::Open);
  CHECK_FALSE(b.allow(t0 + 29s));
  CHECK(b.allow(t0 + 30s));
}
