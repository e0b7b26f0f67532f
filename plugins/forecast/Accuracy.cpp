// Accuracy: see the header.
#include "Accuracy.hpp"

#include <algorithm>
#include <cmath>

namespace forecast {

namespace {
int sign(double v) { return (v > 0) - (v < 0); }
} // namespace

Outcome outcome_of(double base, double predicted, double actual) {
  Outcome o;
  o.abs_error = std::fabs(predicted - actual);
  if (actual != 0) o.ape = o.abs_error / std::fabs(actual);
  o.direction_hit = sign(predicted - base) == sign(actual - base);
  return o;
}

void Tally::add(const Outcome& o) {
  ++n;
  sum_abs_error += o.abs_error;
  if (o.ape) {
    sum_ape += *o.ape;
    ++n_ape;
  }
  if (o.direction_hit) ++hits;
}

std::optional<double> Tally::mae() const {
  if (n == 0) return std::nullopt;
  return sum_abs_error / static_cast<double>(n);
}
std::optional<double> Tally::mape() const {
  if (n_ape == 0) return std::nullopt;
  return 100 * sum_ape / static_cast<double>(n_ape);
}
std::optional<double> Tally::direction_hit_rate() const {
  if (n == 0) return std::nullopt;
  return static_cast<double>(hits) / static_cast<double>(n);
}

int horizon_steps(const std::vector<std::int64_t>& times, std::int64_t target_ms) {
  if (times.size() < 2) return 1;
  const double spacing = static_cast<double>(times.back() - times.front()) / static_cast<double>(times.size() - 1);
  if (!(spacing > 0)) return 1;
  const double steps = std::round(static_cast<double>(target_ms - times.back()) / spacing);
  return static_cast<int>(std::clamp(steps, 1.0, static_cast<double>(kMaxHorizonSteps)));
}

BacktestResult backtest(const Method& method, const std::vector<Point>& history, std::int64_t horizon_ms,
                        std::size_t window, std::size_t max_origins) {
  BacktestResult result;
  const std::size_t first = std::max<std::size_t>(method.min_points(), 1) - 1;
  if (history.size() <= first || max_origins == 0) return result;
  const std::size_t candidates = history.size() - first;
  const std::size_t stride = std::max<std::size_t>(1, (candidates + max_origins - 1) / max_origins);
  window = std::max(window, method.min_points());

  std::vector<double> prices;
  std::vector<std::int64_t> times;
  for (std::size_t origin = first; origin < history.size(); origin += stride) {
    const std::int64_t target = history[origin].at_ms + horizon_ms;
    if (target > history.back().at_ms) break;
    // The actual: the last point at or before the target.
    const auto after = std::upper_bound(history.begin(), history.end(), target,
                                        [](std::int64_t t, const Point& p) { return t < p.at_ms; });
    const double actual = std::prev(after)->price;

    const std::size_t begin = origin + 1 > window ? origin + 1 - window : 0;
    prices.clear();
    times.clear();
    for (std::size_t i = begin; i <= origin; ++i) {
      prices.push_back(history[i].price);
      times.push_back(history[i].at_ms);
    }
    try {
      const Forecast f = method.predict(prices, horizon_steps(times, target));
      result.tally.add(outcome_of(prices.back(), f.predicted, actual));
    } catch (const MethodError&) {
      ++result.failures;
    }
  }
  return result;
}

} // namespace forecast
