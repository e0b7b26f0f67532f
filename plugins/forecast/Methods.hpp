// Methods: the forecasting methods, in plain C++ (no Poco, no host), so that
// they can be tested on known series and timed on their own. A method reads a
// price series (oldest first, equally spaced as far as it knows) and predicts
// the price `horizon_steps` steps after its last point, with a 95 % interval.
//
// A method never aborts on its input: a series that is too short, holds a
// non-finite or (for log returns) non-positive price, or leads to a
// non-finite answer is refused with MethodError. Instances are immutable and
// safe to share between threads.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace forecast {

struct Forecast {
  double predicted = 0;
  double low = 0; // the 95 % interval around predicted
  double high = 0;
};

// Why a method could not forecast a series (too short, bad values, singular).
class MethodError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The seam through which a model forecasts: the built-in kinds below, and a
// model another plugin brings (kind "op:<operation>", ModelKinds.hpp).
class Method {
public:
  virtual ~Method() = default;
  // The shortest series predict() accepts.
  virtual std::size_t min_points() const = 0;
  // Throws MethodError; the result's three numbers are finite.
  virtual Forecast predict(const std::vector<double>& prices, int horizon_steps) const = 0;
};

// Holt's linear exponential smoothing: a level and a trend, smoothed with
// alpha and beta (both in (0, 1]). The interval comes from the standard
// deviation of the in-sample one-step errors, widened for the horizon as for
// the additive-trend model: var_h = s^2 (1 + sum_{j<h} (alpha (1 + j beta))^2).
class HoltMethod final : public Method {
public:
  HoltMethod(double alpha, double beta) : alpha_(alpha), beta_(beta) {}
  std::size_t min_points() const override { return 4; }
  Forecast predict(const std::vector<double>& prices, int horizon_steps) const override;

private:
  double alpha_;
  double beta_;
};

// Ridge regression of the next log return on the previous `lags` log returns
// and an intercept (the intercept is not penalized), solving
// (X'X + lambda I) w = X'y. The return over the horizon is the sum of the
// returns predicted one step at a time, each fed back as a lag; the price is
// last * exp(sum). The interval spreads the in-sample residuals' standard
// deviation by sqrt(horizon) in log space.
class RidgeMethod final : public Method {
public:
  RidgeMethod(int lags, double lambda) : lags_(lags), lambda_(lambda) {}
  std::size_t min_points() const override { return static_cast<std::size_t>(lags_) + 3; }
  Forecast predict(const std::vector<double>& prices, int horizon_steps) const override;

private:
  int lags_;
  double lambda_;
};

// The largest horizon in steps any method is asked for.
inline constexpr int kMaxHorizonSteps = 100000;

// Solves A x = b for a symmetric positive definite A (n x n, row-major) by
// Cholesky; throws MethodError when A is not positive definite.
std::vector<double> solve_spd(std::vector<double> a, std::vector<double> b, std::size_t n);

} // namespace forecast
