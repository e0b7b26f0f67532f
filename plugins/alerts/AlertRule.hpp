// AlertRule: what a price alert rule is and how it moves between its two
// states, as pure logic (no SQL, no JSON), so the tests can drive it point by
// point and the evaluation's SQL (AlertEvaluation.cpp) has one reference to
// agree with.
//
//   ABOVE     the condition holds while price >= threshold;
//   BELOW     the condition holds while price <= threshold;
//   MOVE_PCT  the condition holds while |price / base - 1| * 100 >= threshold,
//             base being the last price at or before `windowMinutes` ago.
//
// A rule is armed or fired. An armed rule whose condition starts to hold
// fires (once) and stays fired while the condition keeps holding, however
// many prices repeat it; it re-arms when a price makes the condition false,
// and only then can it fire again. So a rule fires once per crossing, and a
// gap in the prices (a jump over the threshold, events not seen) changes
// nothing: only the state and the new value decide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alerts {

enum class AlertKind { above, below, move_pct };

// "ABOVE", "BELOW", "MOVE_PCT" and back; nullopt for any other word.
std::optional<AlertKind> kind_named(std::string_view word);
const char* kind_word(AlertKind kind);

// The longest MOVE_PCT window: one week.
inline constexpr std::int64_t kMaxWindowMinutes = 10080;

// Whether the rule's condition holds for `value`: the price for ABOVE and
// BELOW, the move in per cent for MOVE_PCT.
bool condition_holds(AlertKind kind, double threshold, double value);

// The move from `base` to `price` in per cent (always >= 0); nullopt when
// there is no meaningful base (not positive or not finite).
std::optional<double> move_pct(double price, double base);

enum class Transition { none, fire, rearm };

// The step a rule in state `armed` takes when it sees `value`.
Transition transition(AlertKind kind, double threshold, bool armed, double value);

// A new rule is armed unless its condition already holds for the value known
// when it is made (nullopt: nothing known yet, armed): a rule made above its
// ABOVE threshold waits for the price to come down and cross again.
bool armed_at_creation(AlertKind kind, double threshold, std::optional<double> value);

// A rule followed through a series of values: the state machine as a value.
class RuleState {
public:
  RuleState(AlertKind kind, double threshold, bool armed = true) : kind_(kind), threshold_(threshold), armed_(armed) {}
  // Sees one value; returns the step taken (fire, rearm or none).
  Transition observe(double value);
  // Sees a batch of prices at once, as a market.prices_updated event gives
  // them: their lowest, highest and last (ABOVE and BELOW; a MOVE_PCT rule
  // sees `last` alone). An armed rule fires when the batch reached its
  // threshold, and ends re-armed when the last price is back on the other
  // side; a fired rule re-arms when the batch went back, and fires again
  // when the last price holds the condition once more. So a crossing and
  // its return inside one batch fire once, the batch ending as `last`
  // leaves it; a rule fires at most once a batch, and only a fired rule
  // that goes back, over and back again inside one batch re-arms unfired.
  Transition observe_span(double low, double high, double last);
  bool armed() const { return armed_; }

private:
  AlertKind kind_;
  double threshold_;
  bool armed_;
};

// A rule as a caller asks for it, checked field by field; `threshold` and
// `window_minutes` are nullopt when absent.
struct RuleRequest {
  std::string kind;
  std::optional<double> threshold;
  std::optional<std::int64_t> window_minutes;
};

struct FieldError {
  std::string field;
  std::string message;
};

// Every problem with `request`, each on its field (kind, threshold,
// windowMinutes); empty when it is a rule that can be kept.
std::vector<FieldError> rule_errors(const RuleRequest& request);

} // namespace alerts
