// AlertRule: see the header.
#include "AlertRule.hpp"

#include <cmath>

namespace alerts {

std::optional<AlertKind> kind_named(std::string_view word) {
  if (word == "ABOVE") return AlertKind::above;
  if (word == "BELOW") return AlertKind::below;
  if (word == "MOVE_PCT") return AlertKind::move_pct;
  return std::nullopt;
}

const char* kind_word(AlertKind kind) {
  switch (kind) {
  case AlertKind::above:
    return "ABOVE";
  case AlertKind::below:
    return "BELOW";
  case AlertKind::move_pct:
    return "MOVE_PCT";
  }
  return "";
}

bool condition_holds(AlertKind kind, double threshold, double value) {
  switch (kind) {
  case AlertKind::above:
    return value >= threshold;
  case AlertKind::below:
    return value <= threshold;
  case AlertKind::move_pct:
    return value >= threshold;
  }
  return false;
}

std::optional<double> move_pct(double price, double base) {
  if (!std::isfinite(price) || !std::isfinite(base) || base <= 0) return std::nullopt;
  return std::fabs(price / base - 1.0) * 100.0;
}

Transition transition(AlertKind kind, double threshold, bool armed, double value) {
  const bool holds = condition_holds(kind, threshold, value);
  if (armed && holds) return Transition::fire;
  if (!armed && !holds) return Transition::rearm;
  return Transition::none;
}

bool armed_at_creation(AlertKind kind, double threshold, std::optional<double> value) {
  return !value || !condition_holds(kind, threshold, *value);
}

Transition RuleState::observe(double value) {
  const Transition step = transition(kind_, threshold_, armed_, value);
  if (step == Transition::fire) armed_ = false;
  if (step == Transition::rearm) armed_ = true;
  return step;
}

Transition RuleState::observe_span(double low, double high, double last) {
  if (kind_ == AlertKind::move_pct) return observe(last);
  // The batch's price nearest the condition, and the one furthest from it.
  const double toward = kind_ == AlertKind::above ? high : low;
  const double away = kind_ == AlertKind::above ? low : high;
  if (armed_) {
    if (!condition_holds(kind_, threshold_, toward)) return Transition::none;
    armed_ = !condition_holds(kind_, threshold_, last);
    return Transition::fire;
  }
  if (condition_holds(kind_, threshold_, away)) return Transition::none; // never went back
  // It went back (at `away`, before `last` when `last` holds): over again.
  if (condition_holds(kind_, threshold_, last)) return Transition::fire;
  armed_ = true;
  return Transition::rearm;
}

std::vector<FieldError> rule_errors(const RuleRequest& request) {
  std::vector<FieldError> errors;
  const auto kind = kind_named(request.kind);
  if (!kind) errors.push_back({"kind", "must be ABOVE, BELOW or MOVE_PCT"});

  if (!request.threshold)
    errors.push_back({"threshold", "is required"});
  else if (!std::isfinite(*request.threshold))
    errors.push_back({"threshold", "must be a finite number"});
  else if (*request.threshold <= 0)
    errors.push_back(
        {"threshold", kind == AlertKind::move_pct ? "must be a percentage above 0" : "must be a price above 0"});

  if (kind == AlertKind::move_pct) {
    if (!request.window_minutes)
      errors.push_back({"windowMinutes", "is required for MOVE_PCT"});
    else if (*request.window_minutes < 1 || *request.window_minutes > kMaxWindowMinutes)
      errors.push_back({"windowMinutes", "must be from 1 to " + std::to_string(kMaxWindowMinutes)});
  } else if (kind && request.window_minutes) {
    errors.push_back({"windowMinutes", "applies to MOVE_PCT only"});
  }
  return errors;
}

} // namespace alerts
