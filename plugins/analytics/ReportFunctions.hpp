// ReportFunctions: the reports' queries, as functions of the analytics
// schema (migration 3), called by SalesSummary.cpp, PipelineReport.cpp and
// Dashboard.cpp with one `select report_...(...)` each.
//
// Why functions rather than statements in the C++ files: a report is one
// query of many parts, and PostgreSQL spent more time planning it again for
// every request (the host's prepared statements get custom plans) than
// running it. A PL/pgSQL function prepares its query once per connection;
// `plan_cache_mode = force_generic_plan` keeps that one plan for every
// caller. The plans are small either way: the rollups hold a few rows per
// user and month or day, and every read goes through an index on the month,
// the day or the user. Items are rows made JSON by json_agg (about half the
// work of json_build_object per item).
//
// The sales summary's parameters: p_scope (uuid[]: the users in scope, NULL
// for everyone), p_from and p_to (the period's days), then ReportSpans (see
// ReportPeriod.hpp): the whole months [p_months_from, p_months_to] read from
// monthly_user_stats, the days [p_from, p_head_end] and [p_tail_start, p_to]
// from daily_user_stats; customers created after p_to are those of the days
// (p_to, p_to_month_end] and the months from p_next_month on.
#pragma once

namespace analytics {

inline constexpr const char* kReportFunctions = R"sql(
-- The period's figures: one row per user and whole month, one per user and
-- day around them. Open tasks count as overdue only on days before today
-- (whole months end before today's month).
create function report_period_rows(p_scope uuid[], p_from date, p_to date, p_months_from date, p_months_to date,
                                   p_head_end date, p_tail_start date)
returns table (user_id uuid, month date, customers integer, meetings integer, tasks_completed integer,
               tasks_overdue integer, approvals_requested integer, approvals_approved integer,
               approvals_rejected integer, approved_amount numeric)
language sql stable as $$
  select m.user_id, m.month, m.customers, m.meetings, m.tasks_completed, m.tasks_open_due, m.approvals_requested,
         m.approvals_approved, m.approvals_rejected, m.approved_amount
  from monthly_user_stats m
  where m.month between p_months_from and p_months_to and (p_scope is null or m.user_id = any (p_scope))
  union all
  select d.user_id, date_trunc('month', d.day)::date, d.customers, d.meetings, d.tasks_completed,
         case when d.day < utc_day(now()) then d.tasks_open_due else 0 end, d.approvals_requested,
         d.approvals_approved, d.approvals_rejected, d.approved_amount
  from daily_user_stats d
  where (d.day between p_from and p_head_end or d.day between p_tail_start and p_to)
    and (p_scope is null or d.user_id = any (p_scope))
$$;

-- Tasks due today whose time has passed, per assignee (when today is in the period).
create function report_overdue_today(p_scope uuid[], p_from date, p_to date)
returns table (user_id uuid, tasks_overdue bigint)
language sql stable as $$
  select t.assignee_id, count(*)
  from tasks t
  where utc_day(now()) between p_from and p_to
    and t.completed_at is null
    and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()
    and (p_scope is null or t.assignee_id = any (p_scope))
  group by t.assignee_id
$$;

-- One item per user: everyone in a MANAGER's scope, every active user for
-- an ADMIN, and anyone else with a figure.
create function report_sales_by_user(p_scope uuid[], p_from date, p_to date, p_months_from date, p_months_to date,
                                     p_head_end date, p_tail_start date, p_to_month_end date, p_next_month date)
returns json language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    with figures as (
      select p.user_id, sum(p.customers) as new_customers, sum(p.meetings) as meetings,
             sum(p.tasks_completed) as tasks_completed, sum(p.tasks_overdue) as tasks_overdue,
             sum(p.approvals_requested) as approvals_requested, sum(p.approvals_approved) as approvals_approved,
             sum(p.approvals_rejected) as approvals_rejected, sum(p.approved_amount) as approved_amount
      from report_period_rows(p_scope, p_from, p_to, p_months_from, p_months_to, p_head_end, p_tail_start) p
      group by p.user_id),
    created_after as (
      select x.user_id, sum(x.customers) as customers
      from (select m.user_id, m.customers from monthly_user_stats m
            where m.month >= p_next_month and m.month <= date_trunc('month', utc_day(now()))::date
              and (p_scope is null or m.user_id = any (p_scope))
            union all
            select d.user_id, d.customers from daily_user_stats d
            where d.day > p_to and d.day <= p_to_month_end and (p_scope is null or d.user_id = any (p_scope))) x
      group by x.user_id),
    totals as (
      select t.user_id, t.customers from user_totals t where p_scope is null or t.user_id = any (p_scope)),
    overdue_today as (
      select * from report_overdue_today(p_scope, p_from, p_to)),
    members as (
      select unnest(p_scope) as user_id
      union
      select u.id from users u where p_scope is null and u.active
      union
      select f.user_id from figures f
      where f.new_customers <> 0 or f.meetings <> 0 or f.tasks_completed <> 0 or f.tasks_overdue <> 0
         or f.approvals_requested <> 0 or f.approvals_approved <> 0 or f.approvals_rejected <> 0
         or f.approved_amount <> 0
      union
      select t.user_id from totals t where t.customers <> 0
      union
      select o.user_id from overdue_today o)
    select coalesce(json_agg(item order by item."userName" nulls last, item."user"), '[]')
    from (
      select m.user_id as "user",
             u.name as "userName",
             coalesce(t.customers, 0) - coalesce(a.customers, 0) as "customers",
             coalesce(f.new_customers, 0) as "newCustomers",
             coalesce(f.meetings, 0) as "meetings",
             coalesce(f.tasks_completed, 0) as "tasksCompleted",
             coalesce(f.tasks_overdue, 0) + coalesce(o.tasks_overdue, 0) as "tasksOverdue",
             coalesce(f.approvals_requested, 0) as "approvalsRequested",
             coalesce(f.approvals_approved, 0) as "approvalsApproved",
             coalesce(f.approvals_rejected, 0) as "approvalsRejected",
             coalesce(f.approved_amount, 0) as "approvedAmount"
      from members m
      left join users u on u.id = m.user_id
      left join figures f on f.user_id = m.user_id
      left join totals t on t.user_id = m.user_id
      left join created_after a on a.user_id = m.user_id
      left join overdue_today o on o.user_id = m.user_id) item);
end $$;

-- One item per month the period touches, also without figures. customers:
-- at the end of each month (at p_to for the last), counted back from the
-- live total by the customers created in the months after it (none is
-- created in a month to come: later months hold only meetings and tasks).
create function report_sales_by_month(p_scope uuid[], p_from date, p_to date, p_months_from date, p_months_to date,
                                      p_head_end date, p_tail_start date, p_to_month_end date, p_next_month date)
returns json language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    with figures as (
      select p.month, sum(p.customers) as new_customers, sum(p.meetings) as meetings,
             sum(p.tasks_completed) as tasks_completed, sum(p.tasks_overdue) as tasks_overdue,
             sum(p.approvals_requested) as approvals_requested, sum(p.approvals_approved) as approvals_approved,
             sum(p.approvals_rejected) as approvals_rejected, sum(p.approved_amount) as approved_amount
      from report_period_rows(p_scope, p_from, p_to, p_months_from, p_months_to, p_head_end, p_tail_start) p
      group by p.month),
    created_by_month as (
      select m.month, sum(m.customers) as customers from monthly_user_stats m
      where m.month > date_trunc('month', p_from) and m.month <= date_trunc('month', utc_day(now()))::date
        and (p_scope is null or m.user_id = any (p_scope))
      group by m.month),
    after_to as (
      select coalesce(sum(d.customers), 0) as customers from daily_user_stats d
      where d.day > p_to and d.day <= p_to_month_end and (p_scope is null or d.user_id = any (p_scope))),
    total as (
      select coalesce(sum(t.customers), 0) as customers from user_totals t
      where p_scope is null or t.user_id = any (p_scope)),
    overdue_today as (
      select date_trunc('month', utc_day(now()))::date as month, sum(o.tasks_overdue) as tasks_overdue
      from report_overdue_today(p_scope, p_from, p_to) o),
    months as (
      select m::date as month
      from generate_series(date_trunc('month', p_from), date_trunc('month', p_to), interval '1 month') m)
    select coalesce(json_agg(item order by item."month"), '[]')
    from (
      select to_char(ms.month, 'YYYY-MM') as "month",
             total.customers
               - coalesce((select sum(c.customers) from created_by_month c where c.month > ms.month), 0)
               - case when ms.month = date_trunc('month', p_to) then after_to.customers else 0 end as "customers",
             coalesce(f.new_customers, 0) as "newCustomers",
             coalesce(f.meetings, 0) as "meetings",
             coalesce(f.tasks_completed, 0) as "tasksCompleted",
             coalesce(f.tasks_overdue, 0) + coalesce(o.tasks_overdue, 0) as "tasksOverdue",
             coalesce(f.approvals_requested, 0) as "approvalsRequested",
             coalesce(f.approvals_approved, 0) as "approvalsApproved",
             coalesce(f.approvals_rejected, 0) as "approvalsRejected",
             coalesce(f.approved_amount, 0) as "approvedAmount"
      from months ms
      cross join total
      cross join after_to
      left join figures f on f.month = ms.month
      left join overdue_today o on o.month = ms.month) item);
end $$;

-- Approvals by status and currency of the requesters in scope; every status
-- has a row, with currency null and zeros when it has none.
create function report_pipeline(p_scope uuid[])
returns json language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return (
    with statuses (status, position) as (
      values ('PENDING', 1), ('APPROVED', 2), ('REJECTED', 3), ('CANCELLED', 4)),
    totals as (
      select t.status, t.currency, sum(t.approvals) as approvals, sum(t.amount) as amount
      from approval_totals t
      where p_scope is null or t.requester_id = any (p_scope)
      group by t.status, t.currency
      having sum(t.approvals) <> 0)
    select coalesce(json_agg(json_build_object(
             'status', s.status,
             'currency', nullif(t.currency, ''),
             'count', coalesce(t.approvals, 0),
             'amount', coalesce(t.amount, 0))
           order by s.position, t.currency), '[]')
    from statuses s left join totals t on t.status = s.status);
end $$;

-- One user's own counts, from the rollups where they can answer (open tasks
-- are the open tasks of every due day; overdue, those of the days before
-- today and today's past due), from indexed reads otherwise.
create function report_dashboard(p_user uuid)
returns json language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
  return json_build_object(
    'customersOwned', coalesce((select t.customers from user_totals t where t.user_id = p_user), 0),
    'newCustomersThisMonth', coalesce((select m.customers from monthly_user_stats m
                                       where m.user_id = p_user and m.month = date_trunc('month', utc_day(now()))::date), 0),
    'openTasks', (select coalesce(sum(m.tasks_open_due), 0) from monthly_user_stats m where m.user_id = p_user),
    'overdueTasks', (select coalesce(sum(m.tasks_open_due), 0) from monthly_user_stats m
                     where m.user_id = p_user and m.month < date_trunc('month', utc_day(now()))::date)
                    + (select coalesce(sum(d.tasks_open_due), 0) from daily_user_stats d
                       where d.user_id = p_user and d.day >= date_trunc('month', utc_day(now()))::date
                         and d.day < utc_day(now()))
                    + (select count(*) from tasks t
                       where t.assignee_id = p_user and t.completed_at is null
                         and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()),
    'upcomingMeetings', (select count(*) from meetings m
                         where m.owner_id = p_user and m.scheduled_at >= now()
                           and m.scheduled_at < now() + interval '7 days'),
    'approvalsAwaitingMyDecision', (select count(*) from approvals a
                                    where a.current_approver_id = p_user and a.status = 'PENDING'),
    'myPendingRequests', (select coalesce(sum(t.approvals), 0) from approval_totals t
                          where t.requester_id = p_user and t.status = 'PENDING'),
    'unreadNotifications', (select count(*) from notifications n
                            where n.user_id = p_user and n.read_at is null and n.archived_at is null));
end $$;
)sql";

} // namespace analytics
