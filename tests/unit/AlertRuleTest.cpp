// AlertRule (plugins/alerts): the rule's state machine, armed -> fired ->
// re-armed, fed with series of prices (repeats, the exact threshold, jumps
// over it), the MOVE_PCT measure, the state a new rule starts in, and the
// checks of a rule a caller asks for.
#include "alerts/AlertRule.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using alerts::AlertKind;
using alerts::RuleState;
using alerts::Transition;

namespace {

// The steps a rule takes over `values`, in order.
std::vector<Transition> steps(RuleState rule, const std::vector<double>& values) {
  std::vector<Transition> out;
  for (double v : values) out.push_back(rule.observe(v));
  return out;
}

constexpr auto none = Transition::none;
constexpr auto fire = Transition::fire;
constexpr auto rearm = Transition::rearm;

} // namespace

TEST_CASE("an ABOVE rule fires when the price crosses up to its threshold, once, until the price crosses back",
          "[alerts]") {
  RuleState rule(AlertKind::above, 100);
  CHECK(steps(rule, {95, 99.99, 100.5, 101, 101, 103, 99, 98, 100, 100}) ==
        std::vector{none, none, fire, none, none, none, rearm, none, fire, none});
}

TEST_CASE("the exact threshold counts as crossed for ABOVE and BELOW", "[alerts]") {
  RuleState above(AlertKind::above, 100);
  CHECK(above.observe(100) == fire);
  CHECK_FALSE(above.armed());
  RuleState below(AlertKind::below, 100);
  CHECK(below.observe(100) == fire);
  // Staying on the threshold is still the same crossing.
  CHECK(below.observe(100) == none);
  CHECK(below.observe(100.01) == rearm);
  CHECK(below.armed());
}

TEST_CASE("a BELOW rule fires on the way down and re-arms only once the price is back above", "[alerts]") {
  RuleState rule(AlertKind::below, 50);
  CHECK(steps(rule, {60, 55, 49, 40, 45, 50, 50.5, 49.99}) ==
        std::vector{none, none, fire, none, none, none, rearm, fire});
}

TEST_CASE("a jump over the threshold in one step fires, and a jump back over it re-arms", "[alerts]") {
  // Gaps: the prices between were never seen; only the state and the new price decide.
  RuleState rule(AlertKind::above, 100);
  CHECK(steps(rule, {10, 1000, 1, 1000}) == std::vector{none, fire, rearm, fire});
  RuleState below(AlertKind::below, 100);
  CHECK(steps(below, {1000, 1, 1000, 1}) == std::vector{none, fire, rearm, fire});
}

TEST_CASE("repeated prices never fire twice", "[alerts]") {
  RuleState rule(AlertKind::above, 100);
  const auto taken = steps(rule, std::vector<double>(50, 150));
  CHECK(std::count(taken.begin(), taken.end(), fire) == 1);
  CHECK(taken.front() == fire);
}

TEST_CASE("a MOVE_PCT rule fires on a move of at least its percentage either way and re-arms below it", "[alerts]") {
  CHECK(*alerts::move_pct(105, 100) == Approx(5.0));
  CHECK(*alerts::move_pct(95, 100) == Approx(5.0));
  CHECK(*alerts::move_pct(100, 100) == 0.0);
  RuleState rule(AlertKind::move_pct, 5);
  // Moves in per cent, as the evaluation computes them against the window's base.
  CHECK(steps(rule, {1, 4.99, 5, 7, 6, 2, 5.5}) == std::vector{none, none, fire, none, none, rearm, fire});
}

TEST_CASE("a move has no measure without a positive, finite base", "[alerts]") {
  CHECK_FALSE(alerts::move_pct(100, 0));
  CHECK_FALSE(alerts::move_pct(100, -3));
  CHECK_FALSE(alerts::move_pct(100, std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(alerts::move_pct(std::numeric_limits<double>::infinity(), 100));
}

TEST_CASE("a new rule starts fired when its condition already holds, so it waits for a crossing", "[alerts]") {
  CHECK(alerts::armed_at_creation(AlertKind::above, 100, 99));
  CHECK_FALSE(alerts::armed_at_creation(AlertKind::above, 100, 100));
  CHECK_FALSE(alerts::armed_at_creation(AlertKind::below, 100, 80));
  CHECK(alerts::armed_at_creation(AlertKind::below, 100, 101));
  CHECK(alerts::armed_at_creation(AlertKind::above, 100, std::nullopt));

  // Made above its threshold: the price has to come down and go up again.
  RuleState rule(AlertKind::above, 100, alerts::armed_at_creation(AlertKind::above, 100, 120));
  CHECK(steps(rule, {125, 130, 90, 110}) == std::vector{none, none, rearm, fire});
}

TEST_CASE("kinds are read only in their exact words", "[alerts]") {
  CHECK(alerts::kind_named("ABOVE") == AlertKind::above);
  CHECK(alerts::kind_named("BELOW") == AlertKind::below);
  CHECK(alerts::kind_named("MOVE_PCT") == AlertKind::move_pct);
  CHECK_FALSE(alerts::kind_named("above"));
  CHECK_FALSE(alerts::kind_named(""));
  for (auto k : {AlertKind::above, AlertKind::below, AlertKind::move_pct})
    CHECK(alerts::kind_named(alerts::kind_word(k)) == k);
}

namespace {
std::vector<std::string> fields_of(const alerts::RuleRequest& r) {
  std::vector<std::string> out;
  for (const auto& e : alerts::rule_errors(r)) out.push_back(e.field);
  return out;
}
} // namespace

TEST_CASE("a rule request is refused on each field that is wrong", "[alerts]") {
  using R = alerts::RuleRequest;
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(fields_of(R{"ABOVE", 100.0, std::nullopt}).empty());
  CHECK(fields_of(R{"MOVE_PCT", 2.5, 60}).empty());
  CHECK(fields_of(R{"MOVE_PCT", 2.5, alerts::kMaxWindowMinutes}).empty());

  CHECK(fields_of(R{"SIDEWAYS", 100.0, std::nullopt}) == std::vector<std::string>{"kind"});
  CHECK(fields_of(R{"ABOVE", std::nullopt, std::nullopt}) == std::vector<std::string>{"threshold"});
  CHECK(fields_of(R{"BELOW", -1.0, std::nullopt}) == std::vector<std::string>{"threshold"});
  CHECK(fields_of(R{"BELOW", 0.0, std::nullopt}) == std::vector<std::string>{"threshold"});
  CHECK(fields_of(R{"ABOVE", inf, std::nullopt}) == std::vector<std::string>{"threshold"});
  CHECK(fields_of(R{"ABOVE", std::nan(""), std::nullopt}) == std::vector<std::string>{"threshold"});
  CHECK(fields_of(R{"ABOVE", 10.0, 60}) == std::vector<std::string>{"windowMinutes"});
  CHECK(fields_of(R{"MOVE_PCT", 2.0, std::nullopt}) == std::vector<std::string>{"windowMinutes"});
  CHECK(fields_of(R{"MOVE_PCT", 2.0, 0}) == std::vector<std::string>{"windowMinutes"});
  CHECK(fields_of(R{"MOVE_PCT", 2.0, alerts::kMaxWindowMinutes + 1}) == std::vector<std::string>{"windowMinutes"});
  // Every wrong field at once.
  CHECK(fields_of(R{"MOVE_PCT", -2.0, 0}) == std::vector<std::string>{"threshold", "windowMinutes"});
}

TEST_CASE("a batch seen at once ends where its points one by one end and fires when they fire, at most once",
          "[alerts]") {
  // Every series of 1 to 4 prices from {98, 100, 102} against threshold 100,
  // from both states: the span's end state is the point-by-point one; it
  // fires exactly when the points fire, except the one case it cannot see
  // (a fired rule going back, over and back again), where it re-arms unfired.
  const std::vector<double> values{98, 100, 102};
  for (AlertKind kind : {AlertKind::above, AlertKind::below})
    for (bool armed : {true, false})
      for (int length = 1; length <= 4; ++length) {
        int combinations = 1;
        for (int i = 0; i < length; ++i) combinations *= 3;
        for (int c = 0; c < combinations; ++c) {
          std::vector<double> series;
          for (int i = 0, rest = c; i < length; ++i, rest /= 3) series.push_back(values[rest % 3]);
          RuleState one_by_one(kind, 100, armed), at_once(kind, 100, armed);
          int fires = 0;
          for (double v : series) fires += one_by_one.observe(v) == fire;
          const auto [low, high] = std::minmax_element(series.begin(), series.end());
          const Transition step = at_once.observe_span(*low, *high, series.back());
          INFO("kind " << static_cast<int>(kind) << ", armed " << armed << ", series " << c << " of length "
                       << length);
          CHECK(at_once.armed() == one_by_one.armed());
          const bool unseen = !armed && fires > 0 && one_by_one.armed();
          if (unseen)
            CHECK(step == rearm);
          else
            CHECK((step == fire) == (fires > 0));
        }
      }
}

TEST_CASE("a batch that crosses and comes back fires once and ends re-armed", "[alerts]") {
  RuleState above(AlertKind::above, 100);
  CHECK(above.observe_span(97, 101, 99) == fire);
  CHECK(above.armed());
  CHECK(above.observe_span(98, 103, 103) == fire);
  CHECK_FALSE(above.armed());
  // Fired: dipping under and back over is a new crossing.
  CHECK(above.observe_span(99, 104, 104) == fire);
  CHECK(above.observe_span(101, 104, 102) == none);
  CHECK(above.observe_span(99, 104, 99.5) == rearm);
  RuleState below(AlertKind::below, 50);
  CHECK(below.observe_span(49, 55, 51) == fire);
  CHECK(below.armed());
  RuleState move(AlertKind::move_pct, 5);
  CHECK(move.observe_span(0.01, 1000, 4) == none); // only the last value
}
