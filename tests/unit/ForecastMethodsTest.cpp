// Methods (plugins/forecast): Holt's linear smoothing and the ridge regression
// on lagged log returns, on series whose future is known (a straight line, a
// constant, a geometric series), on small cases worked by hand, and on input
// they must refuse with a MethodError rather than a crash or a NaN.
#include "forecast/Methods.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using forecast::Forecast;
using forecast::HoltMethod;
using forecast::MethodError;
using forecast::RidgeMethod;

namespace {

std::vector<double> line(int n, double start, double slope) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(start + slope * i);
  return v;
}

std::vector<double> geometric(int n, double start, double log_return) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(start * std::exp(log_return * i));
  return v;
}

} // namespace

TEST_CASE("Holt predicts a straight line exactly, with no spread", "[forecast][methods]") {
  const HoltMethod holt(0.3, 0.2);
  const Forecast f = holt.predict(line(20, 100, 2.5), 10);
  CHECK(f.predicted == Approx(100 + 2.5 * 29).epsilon(1e-12));
  CHECK(f.low == Approx(f.predicted));
  CHECK(f.high == Approx(f.predicted));
}

TEST_CASE("Holt predicts a constant series as the constant", "[forecast][methods]") {
  const Forecast f = HoltMethod(0.5, 0.5).predict(std::vector<double>(8, 42.0), 60);
  CHECK(f.predicted == Approx(42.0));
  CHECK(f.low == Approx(42.0));
  CHECK(f.high == Approx(42.0));
}

TEST_CASE("Holt on a small series worked by hand", "[forecast][methods]") {
  // alpha = beta = 0.5 on 10, 12, 13, 15:
  // start l=10 b=2; t=1: f=12 l=12 b=2; t=2: f=14 e=-1 l=13.5 b=1.75;
  // t=3: f=15.25 e=-0.25 l=15.125 b=1.6875. Two steps ahead: 15.125 + 3.375.
  // s^2 = (1 + 0.0625) / 2; var_2 = s^2 (1 + (0.5 + 0.25)^2).
  const Forecast f = HoltMethod(0.5, 0.5).predict({10, 12, 13, 15}, 2);
  CHECK(f.predicted == Approx(18.5));
  const double half = 1.959963984540054 * std::sqrt(1.0625 / 2 * (1 + 0.75 * 0.75));
  CHECK(f.high - f.predicted == Approx(half));
  CHECK(f.predicted - f.low == Approx(half));
}

TEST_CASE("Holt's interval widens with the horizon", "[forecast][methods]") {
  const std::vector<double> noisy{10, 11, 10.5, 12, 11.8, 13, 12.6, 14, 13.9, 15};
  const HoltMethod holt(0.4, 0.3);
  const Forecast near = holt.predict(noisy, 1), far = holt.predict(noisy, 20);
  CHECK(far.high - far.low > near.high - near.low);
  CHECK(near.low < near.predicted);
  CHECK(near.predicted < near.high);
}

TEST_CASE("ridge with a small lambda recovers a constant log return", "[forecast][methods]") {
  const double r = 0.002;
  const RidgeMethod ridge(3, 1e-6);
  const Forecast f = ridge.predict(geometric(40, 50, r), 25);
  CHECK(f.predicted == Approx(50 * std::exp(r * (39 + 25))).epsilon(1e-6));
  CHECK(f.low <= f.predicted);
  CHECK(f.high >= f.predicted);
}

TEST_CASE("ridge predicts a constant series as the constant", "[forecast][methods]") {
  const Forecast f = RidgeMethod(2, 0.01).predict(std::vector<double>(12, 7.0), 5);
  CHECK(f.predicted == Approx(7.0));
}

TEST_CASE("ridge on an alternating series worked by hand", "[forecast][methods]") {
  // Returns alternate +a, -a: with one lag and lambda 0 the fit is r_t = -r_{t-1}
  // (intercept 0, weight -1), so the next return is +a after a -a, and two
  // steps ahead return to where the series is.
  const double a = std::log(1.1);
  std::vector<double> p{100};
  for (int i = 0; i < 9; ++i) p.push_back(p.back() * std::exp(i % 2 == 0 ? a : -a));
  REQUIRE(p.back() == Approx(110)); // the last return was +a
  const RidgeMethod ridge(1, 0.0);
  CHECK(ridge.predict(p, 1).predicted == Approx(100).epsilon(1e-9));
  CHECK(ridge.predict(p, 2).predicted == Approx(110).epsilon(1e-9));
}

TEST_CASE("ridge with lambda 0 on a perfectly collinear series is a method error", "[forecast][methods]") {
  CHECK_THROWS_AS(RidgeMethod(2, 0.0).predict(geometric(20, 10, 0.01), 3), MethodError);
}

TEST_CASE("a series too short, or holding NaN, infinity or a non-positive price, is refused", "[forecast][methods]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const HoltMethod holt(0.5, 0.5);
  const RidgeMethod ridge(3, 0.1);
  CHECK_THROWS_AS(holt.predict({1, 2, 3}, 1), MethodError);
  CHECK_THROWS_AS(holt.predict({}, 1), MethodError);
  CHECK_THROWS_AS(holt.predict({1, 2, nan, 4, 5}, 1), MethodError);
  CHECK_THROWS_AS(holt.predict({1, 2, inf, 4, 5}, 1), MethodError);
  CHECK_THROWS_AS(ridge.predict({1, 2, 3, 4, 5}, 1), MethodError);
  CHECK_THROWS_AS(ridge.predict({1, 2, 3, 0, 5, 6, 7, 8}, 1), MethodError);
  CHECK_THROWS_AS(ridge.predict({1, 2, 3, -4, 5, 6, 7, 8}, 1), MethodError);
  CHECK_THROWS_AS(ridge.predict({1, 2, 3, nan, 5, 6, 7, 8}, 1), MethodError);
  CHECK_THROWS_AS(holt.predict(line(10, 1, 1), 0), MethodError);
  CHECK_THROWS_AS(holt.predict(line(10, 1, 1), forecast::kMaxHorizonSteps + 1), MethodError);
}

TEST_CASE("a forecast that overflows is refused rather than returned", "[forecast][methods]") {
  // A huge trend over a long horizon leaves the doubles' range.
  CHECK_THROWS_AS(HoltMethod(1, 1).predict({0, 1e307, 2e307, 3e307}, 100000), MethodError);
  CHECK_THROWS_AS(RidgeMethod(1, 1e-9).predict(geometric(20, 1, 1.0), 100000), MethodError);
}

TEST_CASE("the Cholesky solver solves a small system and refuses a singular one", "[forecast][methods]") {
  // [[4, 2], [2, 3]] x = [2, 1] -> x = [0.5, 0].
  const auto x = forecast::solve_spd({4, 2, 2, 3}, {2, 1}, 2);
  CHECK(x[0] == Approx(0.5));
  CHECK(x[1] == Approx(0.0).margin(1e-12));
  CHECK_THROWS_AS(forecast::solve_spd({1, 1, 1, 1}, {1, 1}, 2), MethodError);
}
