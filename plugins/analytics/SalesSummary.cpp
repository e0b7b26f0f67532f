// SalesSummary: GET /api/reports/sales-summary?from=&to=&groupBy=user|month
// (ADMIN everyone, MANAGER itself and its team) ->
//   {from, to, groupBy, items: [{user, userName | month, customers,
//    newCustomers, meetings, tasksCompleted, tasksOverdue, approvalsRequested,
//    approvalsApproved, approvalsRejected, approvedAmount}]}
// Flat items, so the host can render them as CSV.
//
// What each figure counts, for the period's days (ReportPeriod):
//   customers          live customers owned now that existed at the end of
//                      the period (per month: at the end of the month)
//   newCustomers       live customers owned now, created in the period
//   meetings           meetings scheduled in the period
//   tasksCompleted     tasks completed in the period
//   tasksOverdue       tasks due in the period, still open, due time passed
//   approvals*         approvals requested in the period; approved or
//                      rejected in the period (by decision day), with the
//                      approved amounts summed as given (no currency
//                      conversion)
// A figure belongs to the customer's or meeting's owner, the task's
// assignee, the approval's requester.
//
// The figures come from the rollups (ReportSpans: whole months from
// monthly_user_stats, the days around them from daily_user_stats), so a
// quarter reads a few rows per user. `customers` at a date is the live total
// (user_totals) less the customers created after it. Today's overdue tasks
// depend on the time of day: they are counted from the tasks due today. The
// queries are the functions report_sales_by_user and report_sales_by_month
// (ReportFunctions.hpp).
#include "Handlers.hpp"

#include "ReportPeriod.hpp"

#include <crm/sdk/owner_scope.hpp>

#include <string>

namespace analytics {

namespace {

constexpr const char* kByUser = "select report_sales_by_user($1::uuid[], $2::date, $3::date, $4::date, $5::date, "
                                "$6::date, $7::date, $8::date, $9::date)";
constexpr const char* kByMonth = "select report_sales_by_month($1::uuid[], $2::date, $3::date, $4::date, $5::date, "
                                 "$6::date, $7::date, $8::date, $9::date)";

} // namespace

void sales_summary(crm::Call& call) {
  const auto& in = call.input();
  const auto today = utc_today();
  const ReportPeriod period = report_period(in, today);
  const ReportSpans spans = report_spans(period, today);
  const std::string group_by = report_grouping(in);
  auto rows = call.sql(group_by == "month" ? kByMonth : kByUser,
                       {crm::OwnerScope::of(call).owners_array(), period.from, period.to, spans.months_from,
                        spans.months_to, spans.head_end, spans.tail_start, spans.to_month_end, spans.next_month});
  call.reply(crm::JsonObject()
                 .field("from", period.from)
                 .field("to", period.to)
                 .field("groupBy", group_by)
                 .raw("items", *rows.at(0, 0))
                 .str());
}

} // namespace analytics
