// ReportPeriod: see the header.
#include "ReportPeriod.hpp"

#include <cstdio>
#include <optional>
#include <string_view>

namespace analytics {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

// `n` digits at s[pos] as a number; -1 when they are not all digits.
int digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<sys_days> date_of(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 1 || m < 1 || d < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd);
}

// A date, or an RFC 3339 date-time reduced to its UTC date.
std::optional<sys_days> day_of(std::string_view s) {
  const auto date = date_of(s);
  if (!date) return std::nullopt;
  if (s.size() == 10) return date;
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return std::nullopt;
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60) return std::nullopt;
  size_t pos = 19;
  if (s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos == s.size()) return std::nullopt;
  int offset_minutes = 0;
  if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    offset_minutes = 0;
  } else {
    if ((s[pos] != '+' && s[pos] != '-') || pos + 6 != s.size() || s[pos + 3] != ':') return std::nullopt;
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Local minutes of the day minus the offset: the UTC instant, whose day may
  // be the one before or after.
  const int utc_minutes = h * 60 + mi - offset_minutes;
  const int shift = utc_minutes < 0 ? -1 : utc_minutes >= 24 * 60 ? 1 : 0;
  return *date + days(shift);
}

std::string iso(sys_days d) {
  const std::chrono::year_month_day ymd(d);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return out;
}

bool within_years(sys_days d) {
  const int year = static_cast<int>(std::chrono::year_month_day(d).year());
  return year >= 1 && year <= 9999;
}

std::optional<sys_days> day_param(const crm::Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  auto d = day_of(*v);
  if (!d) throw crm::invalid(key, "must be a date (2026-01-31) or an RFC 3339 date-time");
  return d;
}

} // namespace

std::chrono::sys_days utc_today() { return std::chrono::floor<days>(std::chrono::system_clock::now()); }

ReportPeriod report_period(const crm::Input& in, sys_days today) {
  auto from = day_param(in, "from");
  auto to = day_param(in, "to");
  if (!to) to = from ? *from + days(kDefaultDays - 1) : today;
  if (!from) from = *to - days(kDefaultDays - 1);
  if (!within_years(*from)) throw crm::invalid("from", "must be within the years 0001 to 9999");
  if (!within_years(*to)) throw crm::invalid("to", "must be within the years 0001 to 9999");
  if (*from > *to) throw crm::invalid("from", "must not be after to");
  if ((*to - *from).count() + 1 > kMaxDays)
    throw crm::invalid("to", "must be at most " + std::to_string(kMaxDays) + " days after from");
  return ReportPeriod{*from, *to, iso(*from), iso(*to)};
}

ReportSpans report_spans(const ReportPeriod& period, sys_days today) {
  using namespace std::chrono;
  auto month_of = [](sys_days d) {
    const year_month_day ymd(d);
    return sys_days(ymd.year() / ymd.month() / 1);
  };
  auto month_end = [](sys_days d) {
    const year_month_day ymd(d);
    return sys_days(year_month_day_last(ymd.year(), month_day_last(ymd.month())));
  };
  auto next_month = [&](sys_days first) { return month_end(first) + days(1); };
  auto previous_month = [&](sys_days first) { return month_of(first - days(1)); };

  const sys_days first_whole =
      period.first == month_of(period.first) ? period.first : next_month(month_of(period.first));
  sys_days last_whole =
      period.last == month_end(period.last) ? month_of(period.last) : previous_month(month_of(period.last));
  last_whole = std::min(last_whole, previous_month(month_of(today)));

  ReportSpans spans;
  if (first_whole <= last_whole) {
    spans.months_from = iso(first_whole);
    spans.months_to = iso(last_whole);
    spans.head_end = iso(first_whole - days(1));
    spans.tail_start = iso(next_month(last_whole));
  } else {
    spans.head_end = period.to;
    spans.tail_start = iso(period.last + days(1));
  }
  spans.to_month_end = iso(month_end(period.last));
  spans.next_month = iso(month_end(period.last) + days(1));
  return spans;
}

std::string report_grouping(const crm::Input& in) {
  auto v = in.text("groupBy");
  if (!v || v->empty()) return "user";
  if (*v != "user" && *v != "month") throw crm::invalid("groupBy", "must be user or month");
  return *v;
}

} // namespace analytics
