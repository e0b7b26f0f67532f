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
// Everything comes from daily_user_stats (one row per user and day), except
// today's overdue tasks, which depend on the time of day and are counted
// from the tasks due today.
#include "Handlers.hpp"

#include "ReportPeriod.hpp"
#include "ReportScope.hpp"

#include <string>

namespace analytics {

namespace {

// $1 scope (uuid[] or NULL: everyone), $2 from, $3 to.
constexpr const char* kByUser = R"sql(
  with figures as (
    select s.user_id,
           sum(s.customers) as customers,
           sum(s.customers) filter (where s.day >= $2::date) as new_customers,
           sum(s.meetings) filter (where s.day >= $2::date) as meetings,
           sum(s.tasks_completed) filter (where s.day >= $2::date) as tasks_completed,
           sum(s.tasks_open_due) filter (where s.day >= $2::date and s.day < utc_day(now())) as tasks_overdue,
           sum(s.approvals_requested) filter (where s.day >= $2::date) as approvals_requested,
           sum(s.approvals_approved) filter (where s.day >= $2::date) as approvals_approved,
           sum(s.approvals_rejected) filter (where s.day >= $2::date) as approvals_rejected,
           sum(s.approved_amount) filter (where s.day >= $2::date) as approved_amount
    from daily_user_stats s
    where ($1::uuid[] is null or s.user_id = any ($1::uuid[])) and s.day <= $3::date
    group by s.user_id),
  overdue_today as (
    select t.assignee_id as user_id, count(*) as tasks_overdue
    from tasks t
    where utc_day(now()) between $2::date and $3::date
      and t.completed_at is null
      and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()
      and ($1::uuid[] is null or t.assignee_id = any ($1::uuid[]))
    group by t.assignee_id),
  members as (
    select unnest($1::uuid[]) as user_id
    union
    select u.id from users u where $1::uuid[] is null and u.active
    union
    select f.user_id from figures f
    where f.customers <> 0 or f.new_customers <> 0 or f.meetings <> 0 or f.tasks_completed <> 0
       or f.tasks_overdue <> 0 or f.approvals_requested <> 0 or f.approvals_approved <> 0
       or f.approvals_rejected <> 0 or f.approved_amount <> 0
    union
    select o.user_id from overdue_today o)
  select coalesce(json_agg(json_build_object(
           'user', m.user_id,
           'userName', u.name,
           'customers', coalesce(f.customers, 0),
           'newCustomers', coalesce(f.new_customers, 0),
           'meetings', coalesce(f.meetings, 0),
           'tasksCompleted', coalesce(f.tasks_completed, 0),
           'tasksOverdue', coalesce(f.tasks_overdue, 0) + coalesce(o.tasks_overdue, 0),
           'approvalsRequested', coalesce(f.approvals_requested, 0),
           'approvalsApproved', coalesce(f.approvals_approved, 0),
           'approvalsRejected', coalesce(f.approvals_rejected, 0),
           'approvedAmount', coalesce(f.approved_amount, 0))
         order by u.name nulls last, m.user_id), '[]')
  from members m
  left join users u on u.id = m.user_id
  left join figures f on f.user_id = m.user_id
  left join overdue_today o on o.user_id = m.user_id)sql";

// Every month the period touches, also those without figures. `customers`
// is a running total over all months up to each one.
constexpr const char* kByMonth = R"sql(
  with figures as (
    select date_trunc('month', s.day)::date as month,
           sum(s.customers) as customers_created,
           sum(s.customers) filter (where s.day >= $2::date) as new_customers,
           sum(s.meetings) filter (where s.day >= $2::date) as meetings,
           sum(s.tasks_completed) filter (where s.day >= $2::date) as tasks_completed,
           sum(s.tasks_open_due) filter (where s.day >= $2::date and s.day < utc_day(now())) as tasks_overdue,
           sum(s.approvals_requested) filter (where s.day >= $2::date) as approvals_requested,
           sum(s.approvals_approved) filter (where s.day >= $2::date) as approvals_approved,
           sum(s.approvals_rejected) filter (where s.day >= $2::date) as approvals_rejected,
           sum(s.approved_amount) filter (where s.day >= $2::date) as approved_amount
    from daily_user_stats s
    where ($1::uuid[] is null or s.user_id = any ($1::uuid[])) and s.day <= $3::date
    group by 1),
  overdue_today as (
    select date_trunc('month', utc_day(now()))::date as month, count(*) as tasks_overdue
    from tasks t
    where utc_day(now()) between $2::date and $3::date
      and t.completed_at is null
      and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()
      and ($1::uuid[] is null or t.assignee_id = any ($1::uuid[]))),
  months as (
    select m::date as month
    from generate_series(date_trunc('month', $2::date), date_trunc('month', $3::date), interval '1 month') m
    union
    select f.month from figures f),
  running as (
    select ms.month, sum(coalesce(f.customers_created, 0)) over (order by ms.month) as customers,
           f.new_customers, f.meetings, f.tasks_completed, f.tasks_overdue, f.approvals_requested,
           f.approvals_approved, f.approvals_rejected, f.approved_amount
    from months ms left join figures f on f.month = ms.month)
  select coalesce(json_agg(json_build_object(
           'month', to_char(r.month, 'YYYY-MM'),
           'customers', r.customers,
           'newCustomers', coalesce(r.new_customers, 0),
           'meetings', coalesce(r.meetings, 0),
           'tasksCompleted', coalesce(r.tasks_completed, 0),
           'tasksOverdue', coalesce(r.tasks_overdue, 0) + coalesce(o.tasks_overdue, 0),
           'approvalsRequested', coalesce(r.approvals_requested, 0),
           'approvalsApproved', coalesce(r.approvals_approved, 0),
           'approvalsRejected', coalesce(r.approvals_rejected, 0),
           'approvedAmount', coalesce(r.approved_amount, 0))
         order by r.month), '[]')
  from running r left join overdue_today o on o.month = r.month
  where r.month >= date_trunc('month', $2::date))sql";

} // namespace

void sales_summary(crm::Call& call) {
  const auto& in = call.input();
  const ReportPeriod period = report_period(in, utc_today());
  const std::string group_by = report_grouping(in);
  auto rows = call.sql(group_by == "month" ? kByMonth : kByUser,
                       {report_scope(call.principal()), period.from, period.to});
  call.reply(crm::JsonObject()
                 .field("from", period.from)
                 .field("to", period.to)
                 .field("groupBy", group_by)
                 .raw("items", *rows.at(0, 0))
                 .str());
}

} // namespace analytics
