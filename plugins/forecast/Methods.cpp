// Methods: see the header.
#include "Methods.hpp"

#include <cmath>

namespace forecast {

namespace {

constexpr double kZ95 = 1.959963984540054;

void check_input(const std::vector<double>& prices, int horizon_steps, std::size_t min_points, bool positive) {
  if (horizon_steps < 1 || horizon_steps > kMaxHorizonSteps)
    throw MethodError("the horizon must be from 1 to " + std::to_string(kMaxHorizonSteps) + " steps");
  if (prices.size() < min_points)
    throw MethodError("the series holds " + std::to_string(prices.size()) + " points, at least " +
                      std::to_string(min_points) + " are needed");
  for (std::size_t i = 0; i < prices.size(); ++i) {
    if (!std::isfinite(prices[i])) throw MethodError("point " + std::to_string(i) + " is not a finite number");
    if (positive && prices[i] <= 0) throw MethodError("point " + std::to_string(i) + " is not a positive price");
  }
}

Forecast checked(Forecast f) {
  if (!std::isfinite(f.predicted) || !std::isfinite(f.low) || !std::isfinite(f.high))
    throw MethodError("the forecast is not a finite number");
  return f;
}

} // namespace

Forecast HoltMethod::predict(const std::vector<double>& prices, int horizon_steps) const {
  check_input(prices, horizon_steps, min_points(), false);
  double level = prices[0];
  double trend = prices[1] - prices[0];
  // The first step is fitted exactly by the start values, so its error does
  // not count: the errors are those of steps 2..n-1.
  double squared_errors = 0;
  std::size_t errors = 0;
  for (std::size_t t = 1; t < prices.size(); ++t) {
    const double one_step = level + trend;
    if (t >= 2) {
      const double e = prices[t] - one_step;
      squared_errors += e * e;
      ++errors;
    }
    const double previous_level = level;
    level = alpha_ * prices[t] + (1 - alpha_) * one_step;
    trend = beta_ * (level - previous_level) + (1 - beta_) * trend;
  }
  const double s2 = squared_errors / static_cast<double>(errors);
  const double h = horizon_steps;
  // sum_{j=1}^{h-1} (alpha + j alpha beta)^2 in closed form.
  const double ab = alpha_ * beta_;
  const double widening = (h - 1) * (alpha_ * alpha_ + alpha_ * ab * h + ab * ab * h * (2 * h - 1) / 6);
  const double half_width = kZ95 * std::sqrt(s2 * (1 + widening));
  const double predicted = level + h * trend;
  return checked({predicted, predicted - half_width, predicted + half_width});
}

Forecast RidgeMethod::predict(const std::vector<double>& prices, int horizon_steps) const {
  check_input(prices, horizon_steps, min_points(), true);
  std::vector<double> returns(prices.size() - 1);
  for (std::size_t i = 1; i < prices.size(); ++i) returns[i - 1] = std::log(prices[i] / prices[i - 1]);

  // Unknowns: w[0] the intercept, w[1..lags] the lag weights (w[k] for r_{t-k}).
  const std::size_t lags = static_cast<std::size_t>(lags_);
  const std::size_t k = lags + 1;
  std::vector<double> xtx(k * k, 0.0), xty(k, 0.0), x(k);
  for (std::size_t t = lags; t < returns.size(); ++t) {
    x[0] = 1;
    for (std::size_t j = 1; j <= lags; ++j) x[j] = returns[t - j];
    for (std::size_t r = 0; r < k; ++r) {
      xty[r] += x[r] * returns[t];
      for (std::size_t c = r; c < k; ++c) xtx[r * k + c] += x[r] * x[c];
    }
  }
  for (std::size_t r = 0; r < k; ++r)
    for (std::size_t c = 0; c < r; ++c) xtx[r * k + c] = xtx[c * k + r];
  for (std::size_t j = 1; j < k; ++j) xtx[j * k + j] += lambda_;
  const std::vector<double> w = solve_spd(xtx, xty, k);

  auto fitted = [&](const std::vector<double>& r, std::size_t t) {
    double y = w[0];
    for (std::size_t j = 1; j <= lags; ++j) y += w[j] * r[t - j];
    return y;
  };
  double squared = 0;
  const std::size_t rows = returns.size() - lags;
  for (std::size_t t = lags; t < returns.size(); ++t) {
    const double e = returns[t] - fitted(returns, t);
    squared += e * e;
  }
  const double s = std::sqrt(squared / static_cast<double>(rows));

  // Iterate: each predicted return becomes a lag of the next.
  std::vector<double> path(returns.end() - static_cast<std::ptrdiff_t>(lags), returns.end());
  path.reserve(lags + static_cast<std::size_t>(horizon_steps));
  double total = 0;
  for (int h = 0; h < horizon_steps; ++h) {
    const double next = fitted(path, path.size());
    path.push_back(next);
    total += next;
  }
  const double last = prices.back();
  const double spread = kZ95 * s * std::sqrt(static_cast<double>(horizon_steps));
  return checked({last * std::exp(total), last * std::exp(total - spread), last * std::exp(total + spread)});
}

std::vector<double> solve_spd(std::vector<double> a, std::vector<double> b, std::size_t n) {
  // In place: the lower triangle of a becomes L with A = L L'.
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (std::size_t p = 0; p < j; ++p) d -= a[j * n + p] * a[j * n + p];
    if (!(d > 1e-12 * (1 + std::fabs(a[j * n + j])))) throw MethodError("the regression is singular (try lambda > 0)");
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (std::size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (std::size_t p = 0; p < j; ++p) v -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = v / l;
    }
  }
  for (std::size_t i = 0; i < n; ++i) { // L y = b
    for (std::size_t p = 0; p < i; ++p) b[i] -= a[i * n + p] * b[p];
    b[i] /= a[i * n + i];
  }
  for (std::size_t i = n; i-- > 0;) { // L' x = y
    for (std::size_t p = i + 1; p < n; ++p) b[i] -= a[p * n + i] * b[p];
    b[i] /= a[i * n + i];
  }
  return b;
}

} // namespace forecast
