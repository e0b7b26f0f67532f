// Accuracy (plugins/forecast): one forecast's error and direction, the
// running tally (n, MAE, MAPE, direction hit rate), the horizon in steps of a
// series, and the walk-forward backtest on series whose future is known.
#include "forecast/Accuracy.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace forecast;

TEST_CASE("an outcome's error, percentage error and direction", "[forecast][accuracy]") {
  const Outcome up = outcome_of(100, 105, 110);
  CHECK(up.abs_error == Approx(5));
  CHECK(*up.ape == Approx(5.0 / 110));
  CHECK(up.direction_hit);
  CHECK_FALSE(outcome_of(100, 105, 95).direction_hit);
  CHECK(outcome_of(100, 100, 100).direction_hit); // no move predicted, none happened
  CHECK_FALSE(outcome_of(100, 100, 101).direction_hit);
  CHECK_FALSE(outcome_of(1, 2, 0).ape.has_value()); // no percentage of zero
}

TEST_CASE("a tally averages what it was given and is empty at first", "[forecast][accuracy]") {
  Tally t;
  CHECK_FALSE(t.mae().has_value());
  CHECK_FALSE(t.mape().has_value());
  CHECK_FALSE(t.direction_hit_rate().has_value());
  t.add(outcome_of(100, 110, 120)); // error 10, 10/120, hit
  t.add(outcome_of(100, 90, 110));  // error 20, 20/110, miss
  CHECK(t.n == 2);
  CHECK(*t.mae() == Approx(15));
  CHECK(*t.mape() == Approx(100 * (10.0 / 120 + 20.0 / 110) / 2));
  CHECK(*t.direction_hit_rate() == Approx(0.5));
}

TEST_CASE("the horizon in steps follows the series' spacing", "[forecast][accuracy]") {
  const std::vector<std::int64_t> minutes{0, 60000, 120000, 180000};
  CHECK(horizon_steps(minutes, 180000 + 3600000) == 60);
  CHECK(horizon_steps(minutes, 180000 + 10000) == 1); // at least one step
  CHECK(horizon_steps({5}, 100) == 1);
  CHECK(horizon_steps({5, 5, 5}, 100) == 1); // no spacing to go by
}

TEST_CASE("a backtest of Holt on a straight line has no error and hits every direction", "[forecast][accuracy]") {
  std::vector<Point> history;
  for (int i = 0; i < 200; ++i) history.push_back({i * 60000LL, 100 + 0.5 * i});
  const HoltMethod holt(0.5, 0.5);
  const BacktestResult r = backtest(holt, history, 10 * 60000LL, 50, 1000);
  // Origins 3..189 have a target within the history.
  CHECK(r.tally.n == 187);
  CHECK(r.failures == 0);
  CHECK(*r.tally.mae() == Approx(0).margin(1e-9));
  CHECK(*r.tally.direction_hit_rate() == Approx(1));
}

TEST_CASE("a backtest spreads at most max_origins origins and counts the method's refusals", "[forecast][accuracy]") {
  std::vector<Point> history;
  for (int i = 0; i < 1000; ++i) history.push_back({i * 1000LL, 10.0 + (i % 7)});
  const BacktestResult some = backtest(HoltMethod(0.5, 0.1), history, 5000, 100, 50);
  CHECK(some.tally.n > 0);
  CHECK(some.tally.n <= 50);

  history[500].price = -1; // ridge refuses any window holding a non-positive price
  const BacktestResult refused = backtest(RidgeMethod(2, 0.1), history, 5000, 20, 2000);
  CHECK(refused.failures > 0);
  CHECK(refused.tally.n > 0);
}

TEST_CASE("a history too short for the method scores nothing", "[forecast][accuracy]") {
  const std::vector<Point> history{{0, 1}, {1000, 2}, {2000, 3}};
  const BacktestResult r = backtest(HoltMethod(0.5, 0.5), history, 1000, 10, 100);
  CHECK(r.tally.n == 0);
  CHECK(r.failures == 0);
}
