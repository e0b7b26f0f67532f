// ReportPeriod: the days a report covers, from ?from=&to= (whole UTC days,
// both included). Each is a date (2026-01-31) or an RFC 3339 date-time, of
// which the UTC date counts (2026-01-31T23:30:00-02:00 is 2026-02-01).
// Without them: the 30 days up to today; with one of them, the 30 days
// starting or ending there. A period is at most kMaxDays long. Bad values
// are a 422 on their field; from after to is a 422 on "from".
#pragma once

#include <crm/plugin.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace analytics {

inline constexpr int kDefaultDays = 30;
inline constexpr int kMaxDays = 3660;

struct ReportPeriod {
  std::chrono::sys_days first, last;
  std::string from; // `first` as YYYY-MM-DD
  std::string to;   // `last` as YYYY-MM-DD
};

ReportPeriod report_period(const crm::Input& in, std::chrono::sys_days today);

// Where a report reads its period: the whole months in it from the monthly
// rollup, the days around them from the daily one. A month counts as whole
// only before today's month (today's open tasks are overdue by the hour, and
// the daily rollup tells which days have passed). All dates YYYY-MM-DD.
struct ReportSpans {
  // The first days of the first and last whole month; nullopt: none.
  std::optional<std::string> months_from, months_to;
  // The days read one by one: [from, head_end] and [tail_start, to] (the
  // second empty when tail_start > to).
  std::string head_end, tail_start;
  // The last day of to's month and the first of the next: customers created
  // after `to` are counted back from the live total.
  std::string to_month_end, next_month;
};

ReportSpans report_spans(const ReportPeriod& period, std::chrono::sys_days today);

// Today's UTC date.
std::chrono::sys_days utc_today();

// ?groupBy=user|month (default user); 422 otherwise.
std::string report_grouping(const crm::Input& in);

} // namespace analytics
