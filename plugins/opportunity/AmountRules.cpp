// AmountRules: see the header.
#include "AmountRules.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace opportunity {

namespace {

// numeric(18,2): 16 digits before the point.
constexpr double kAmountLimit = 1e16;

} // namespace

std::string required_amount(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) throw crm::invalid(key, "is required");
  const auto value = in.object().get(key);
  if (value.isString() || value.isBoolean() || !value.isNumeric()) throw crm::invalid(key, "must be a number");
  const double magnitude = value.convert<double>();
  if (!std::isfinite(magnitude)) throw crm::invalid(key, "must be a number");
  if (magnitude <= 0) throw crm::invalid(key, "must be greater than 0");
  if (magnitude >= kAmountLimit) throw crm::invalid(key, "must be less than 10000000000000000");
  if (value.isInteger()) return value.toString();
  // The shortest decimal that reads back as the same double: what the caller
  // wrote, for any amount numeric(18,2) can hold.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::fixed);
  if (ec != std::errc()) throw crm::invalid(key, "must be a number");
  const std::string text(buffer, end);
  const size_t point = text.find('.');
  if (point != std::string::npos && text.size() - point - 1 > 2)
    throw crm::invalid(key, "must have at most two decimals");
  return text;
}

std::string currency_or(const crm::Input& in, const std::string& key, const std::string& fallback) {
  const auto v = in.text(key);
  if (!v) return fallback;
  const bool ok = v->size() == 3 && std::all_of(v->begin(), v->end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) throw crm::invalid(key, "must be three upper-case letters such as EUR");
  return *v;
}

} // namespace opportunity
