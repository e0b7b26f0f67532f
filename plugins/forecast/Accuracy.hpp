// Accuracy: how far forecasts fell from what happened (n, MAE, MAPE,
// direction hit rate), and the walk-forward backtest that replays a price
// history through a method. Pure logic: the plugin keeps the same tallies in
// its accuracy table, updated as actual prices arrive.
#pragma once

#include "Methods.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace forecast {

// One forecast's outcome. The direction is a hit when the forecast and the
// actual price moved the same way from the price the forecast started from
// (no move counts as a direction of its own).
struct Outcome {
  double abs_error = 0;
  std::optional<double> ape; // |error| / |actual| as a fraction; none when actual is 0
  bool direction_hit = false;
};
Outcome outcome_of(double base, double predicted, double actual);

struct Tally {
  std::int64_t n = 0;
  double sum_abs_error = 0;
  double sum_ape = 0;
  std::int64_t n_ape = 0;
  std::int64_t hits = 0;

  void add(const Outcome& o);
  std::optional<double> mae() const;
  std::optional<double> mape() const;               // in percent
  std::optional<double> direction_hit_rate() const; // 0..1
};

struct Point {
  std::int64_t at_ms = 0; // Unix milliseconds
  double price = 0;
};

// Steps from the last of `times` (oldest first) to target_ms at the series'
// mean spacing, at least 1 and at most kMaxHorizonSteps.
int horizon_steps(const std::vector<std::int64_t>& times, std::int64_t target_ms);

struct BacktestResult {
  Tally tally;
  std::int64_t failures = 0; // origins the method refused
};

// Walks forward through `history` (oldest first): at each origin it predicts
// horizon_ms ahead from at most `window` points up to the origin and scores the
// prediction against the last price at or before the target time. Origins whose
// target lies after the last point are not scored; at most max_origins origins,
// evenly spread, are tried.
BacktestResult backtest(const Method& method, const std::vector<Point>& history, std::int64_t horizon_ms,
                        std::size_t window, std::size_t max_origins);

} // namespace forecast
