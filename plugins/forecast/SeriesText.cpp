// SeriesText: see the header.
#include "SeriesText.hpp"

#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <cstdio>

namespace forecast {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

} // namespace

std::optional<std::int64_t> utc_ms(std::string_view s) {
  if (!crm::is_rfc3339(s)) return std::nullopt;
  using crm::detail::digits;
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  std::size_t i = 19;
  std::int64_t ms = 0;
  if (s[i] == '.')
    for (std::int64_t scale = 100; ++i < s.size() && crm::detail::is_digit(s[i]); scale /= 10)
      ms += (s[i] - '0') * scale;
  std::int64_t offset_minutes = 0;
  if (s[i] == '+' || s[i] == '-')
    offset_minutes = (s[i] == '+' ? 1 : -1) * (digits(s, i + 1, 2) * 60 + digits(s, i + 4, 2));
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute - offset_minutes) * 60000 + second * 1000LL + ms;
}

std::string iso_of_ms(std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  std::int64_t rest = ms - days * 86400000;
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char out[64];
  std::snprintf(out, sizeof out, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(rest / 3600000), static_cast<long long>(rest / 60000 % 60),
                static_cast<long long>(rest / 1000 % 60), static_cast<long long>(rest % 1000));
  return out;
}

std::vector<Point> points_of_history(const std::string& reply, std::size_t max_points) {
  Poco::JSON::Array::Ptr items;
  try {
    auto root = Poco::JSON::Parser().parse(reply).extract<Poco::JSON::Object::Ptr>();
    items = root ? root->getArray("items") : nullptr;
  } catch (const Poco::Exception&) {
  }
  if (!items) throw MethodError("market.history answered without items");
  const std::size_t n = items->size();
  const std::size_t first = n > max_points ? n - max_points : 0;
  std::vector<Point> points;
  points.reserve(n - first);
  for (std::size_t i = first; i < n; ++i) {
    const auto item = items->getObject(static_cast<unsigned>(i));
    if (!item) throw MethodError("market.history item " + std::to_string(i) + " is not an object");
    const auto at = utc_ms(item->optValue<std::string>("at", ""));
    const auto price = item->get("price");
    if (!at || price.isEmpty()) throw MethodError("market.history item " + std::to_string(i) + " lacks at or price");
    points.push_back({*at, price.convert<double>()});
  }
  return points;
}

std::string number_json(double v) {
  if (!std::isfinite(v)) return "null";
  char out[32];
  std::snprintf(out, sizeof out, "%.17g", v);
  return out;
}

} // namespace forecast
