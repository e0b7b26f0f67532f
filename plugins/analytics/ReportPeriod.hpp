// ReportPeriod: the days a report covers, from ?from=&to= (whole UTC days,
// both included). Each is a date (2026-01-31) or an RFC 3339 date-time, of
// which the UTC date counts (2026-01-31T23:30:00-02:00 is 2026-02-01).
// Without them: the 30 days up to today; with one of them, the 30 days
// starting or ending there. A period is at most kMaxDays long. Bad values
// are a 422 on their field; from after to is a 422 on "from".
#pragma once

#include <crm/plugin.hpp>

#include <chrono>
#include <string>

namespace analytics {

inline constexpr int kDefaultDays = 30;
inline constexpr int kMaxDays = 3660;

struct ReportPeriod {
  std::string from; // YYYY-MM-DD
  std::string to;   // YYYY-MM-DD
};

ReportPeriod report_period(const crm::Input& in, std::chrono::sys_days today);

// Today's UTC date.
std::chrono::sys_days utc_today();

// ?groupBy=user|month (default user); 422 otherwise.
std::string report_grouping(const crm::Input& in);

} // namespace analytics
