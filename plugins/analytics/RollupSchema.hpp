// RollupSchema: the rollups the reports read (migration 2), and the triggers
// that keep them. Each rollup counts what the read-models hold now:
//   daily_user_stats    per user and UTC day
//   monthly_user_stats  the same per user and month
//   user_totals         each user's live customers
//   approval_totals     approvals per requester, status and currency
// Statement-level triggers on the read-model tables keep them: whatever
// changes a row (an event's projection, drop_customer, a bulk load)
// subtracts the row's old contribution and adds its new one, in one
// INSERT .. ON CONFLICT per rollup and statement, rows locked in key order,
// so two statements never wait on each other in a cycle.
#pragma once

namespace analytics {

inline constexpr const char* kRollupSchema = R"sql(
-- Per user and UTC day. Each row counts what the read-models hold now:
--   customers            live customers the user owns, by creation day
--   meetings             meetings the user owns, by scheduled day
--   tasks_completed      tasks the user completed, by completion day
--   tasks_open_due       the user's tasks still open, by due day
--   approvals_requested  approvals the user requested, by request day
--   approvals_approved, approvals_rejected, approved_amount
--                        the user's requests decided, by decision day
create table daily_user_stats (
  user_id uuid not null,
  day date not null,
  customers integer not null default 0,
  meetings integer not null default 0,
  tasks_completed integer not null default 0,
  tasks_open_due integer not null default 0,
  approvals_requested integer not null default 0,
  approvals_approved integer not null default 0,
  approvals_rejected integer not null default 0,
  approved_amount numeric not null default 0,
  primary key (user_id, day)
);
create index daily_user_stats_day_idx on daily_user_stats (day);

-- The same per user and month (`month` is its first day): a report reads
-- whole months here and only the days at its edges in daily_user_stats.
create table monthly_user_stats (
  user_id uuid not null,
  month date not null,
  customers integer not null default 0,
  meetings integer not null default 0,
  tasks_completed integer not null default 0,
  tasks_open_due integer not null default 0,
  approvals_requested integer not null default 0,
  approvals_approved integer not null default 0,
  approvals_rejected integer not null default 0,
  approved_amount numeric not null default 0,
  primary key (user_id, month)
);
create index monthly_user_stats_month_idx on monthly_user_stats (month);

-- The live customers each user owns now: the customers at a date are this
-- less those created after it, which for recent dates is a short read.
create table user_totals (
  user_id uuid primary key,
  customers integer not null default 0
);

-- Approvals per requester, status and currency ('' when none): the pipeline.
create table approval_totals (
  requester_id uuid not null,
  status text not null,
  currency text not null,
  approvals integer not null default 0,
  amount numeric not null default 0,
  primary key (requester_id, status, currency)
);

-- One change of the rollups: a row's contribution to a day, with sign.
create type stat_delta as (
  user_id uuid, day date,
  customers integer, meetings integer, tasks_completed integer, tasks_open_due integer,
  approvals_requested integer, approvals_approved integer, approvals_rejected integer,
  approved_amount numeric);

-- Adds the deltas to the day, month and total rollups, summed per key. Rows
-- are locked in one order everywhere (days, then months, then totals, each
-- by key), so two statements never wait on each other in a cycle; sums of
-- zero touch nothing.
create function add_stats(deltas stat_delta[]) returns void language sql as $$
  insert into daily_user_stats as s (user_id, day, customers, meetings, tasks_completed, tasks_open_due,
                                     approvals_requested, approvals_approved, approvals_rejected, approved_amount)
  select user_id, day, sum(customers), sum(meetings), sum(tasks_completed), sum(tasks_open_due),
         sum(approvals_requested), sum(approvals_approved), sum(approvals_rejected), sum(approved_amount)
  from unnest(deltas)
  group by user_id, day
  having sum(customers) <> 0 or sum(meetings) <> 0 or sum(tasks_completed) <> 0 or sum(tasks_open_due) <> 0
      or sum(approvals_requested) <> 0 or sum(approvals_approved) <> 0 or sum(approvals_rejected) <> 0
      or sum(approved_amount) <> 0
  order by user_id, day
  on conflict (user_id, day) do update set
    customers = s.customers + excluded.customers,
    meetings = s.meetings + excluded.meetings,
    tasks_completed = s.tasks_completed + excluded.tasks_completed,
    tasks_open_due = s.tasks_open_due + excluded.tasks_open_due,
    approvals_requested = s.approvals_requested + excluded.approvals_requested,
    approvals_approved = s.approvals_approved + excluded.approvals_approved,
    approvals_rejected = s.approvals_rejected + excluded.approvals_rejected,
    approved_amount = s.approved_amount + excluded.approved_amount;

  insert into monthly_user_stats as s (user_id, month, customers, meetings, tasks_completed, tasks_open_due,
                                       approvals_requested, approvals_approved, approvals_rejected, approved_amount)
  select user_id, date_trunc('month', day)::date, sum(customers), sum(meetings), sum(tasks_completed),
         sum(tasks_open_due), sum(approvals_requested), sum(approvals_approved), sum(approvals_rejected),
         sum(approved_amount)
  from unnest(deltas)
  group by 1, 2
  having sum(customers) <> 0 or sum(meetings) <> 0 or sum(tasks_completed) <> 0 or sum(tasks_open_due) <> 0
      or sum(approvals_requested) <> 0 or sum(approvals_approved) <> 0 or sum(approvals_rejected) <> 0
      or sum(approved_amount) <> 0
  order by 1, 2
  on conflict (user_id, month) do update set
    customers = s.customers + excluded.customers,
    meetings = s.meetings + excluded.meetings,
    tasks_completed = s.tasks_completed + excluded.tasks_completed,
    tasks_open_due = s.tasks_open_due + excluded.tasks_open_due,
    approvals_requested = s.approvals_requested + excluded.approvals_requested,
    approvals_approved = s.approvals_approved + excluded.approvals_approved,
    approvals_rejected = s.approvals_rejected + excluded.approvals_rejected,
    approved_amount = s.approved_amount + excluded.approved_amount;

  insert into user_totals as t (user_id, customers)
  select user_id, sum(customers)
  from unnest(deltas)
  group by user_id
  having sum(customers) <> 0
  order by user_id
  on conflict (user_id) do update set customers = t.customers + excluded.customers
$$;

-- What one row of each read-model adds to daily_user_stats (sign 1) or takes
-- away (sign -1).
create function customer_deltas(owner_id uuid, created_at timestamptz, deleted boolean, sign integer)
returns setof stat_delta language sql immutable as $$
  select owner_id, utc_day(created_at), sign, 0, 0, 0, 0, 0, 0, 0::numeric
  where owner_id is not null and created_at is not null and not deleted
$$;

create function meeting_deltas(owner_id uuid, scheduled_at timestamptz, sign integer)
returns setof stat_delta language sql immutable as $$
  select owner_id, utc_day(scheduled_at), 0, sign, 0, 0, 0, 0, 0, 0::numeric
$$;

create function task_deltas(assignee_id uuid, due_at timestamptz, completed_at timestamptz, sign integer)
returns setof stat_delta language sql immutable as $$
  select assignee_id, utc_day(completed_at), 0, 0, sign, 0, 0, 0, 0, 0::numeric where completed_at is not null
  union all
  select assignee_id, utc_day(due_at), 0, 0, 0, sign, 0, 0, 0, 0::numeric where completed_at is null
$$;

create function approval_deltas(requester_id uuid, created_at timestamptz, status text, decided_at timestamptz,
                                amount numeric, sign integer)
returns setof stat_delta language sql immutable as $$
  select requester_id, utc_day(created_at), 0, 0, 0, 0, sign, 0, 0, 0::numeric
  where requester_id is not null and created_at is not null
  union all
  select requester_id, utc_day(decided_at), 0, 0, 0, 0, 0, sign, 0, sign * coalesce(amount, 0)
  where requester_id is not null and decided_at is not null and status = 'APPROVED'
  union all
  select requester_id, utc_day(decided_at), 0, 0, 0, 0, 0, 0, sign, 0::numeric
  where requester_id is not null and decided_at is not null and status = 'REJECTED'
$$;

-- The triggers: one function per table, one trigger per kind of statement
-- (transition tables allow one event per trigger). Each keeps the schema's
-- search_path, so a bulk load from any session (scripts/bench/reports) keeps
-- the rollups too.
create function customers_rollup() returns trigger language plpgsql set search_path from current as $$
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, customer_deltas(o.owner_id, o.created_at, o.deleted, -1) d
      union all
      select d from new_rows n, customer_deltas(n.owner_id, n.created_at, n.deleted, 1) d));
  elsif tg_op = 'INSERT' then
    perform add_stats(array(select d from new_rows n, customer_deltas(n.owner_id, n.created_at, n.deleted, 1) d));
  else
    perform add_stats(array(select d from old_rows o, customer_deltas(o.owner_id, o.created_at, o.deleted, -1) d));
  end if;
  return null;
end $$;

create function meetings_rollup() returns trigger language plpgsql set search_path from current as $$
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, meeting_deltas(o.owner_id, o.scheduled_at, -1) d
      union all
      select d from new_rows n, meeting_deltas(n.owner_id, n.scheduled_at, 1) d));
  elsif tg_op = 'INSERT' then
    perform add_stats(array(select d from new_rows n, meeting_deltas(n.owner_id, n.scheduled_at, 1) d));
  else
    perform add_stats(array(select d from old_rows o, meeting_deltas(o.owner_id, o.scheduled_at, -1) d));
  end if;
  return null;
end $$;

create function tasks_rollup() returns trigger language plpgsql set search_path from current as $$
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, task_deltas(o.assignee_id, o.due_at, o.completed_at, -1) d
      union all
      select d from new_rows n, task_deltas(n.assignee_id, n.due_at, n.completed_at, 1) d));
  elsif tg_op = 'INSERT' then
    perform add_stats(array(select d from new_rows n, task_deltas(n.assignee_id, n.due_at, n.completed_at, 1) d));
  else
    perform add_stats(array(select d from old_rows o, task_deltas(o.assignee_id, o.due_at, o.completed_at, -1) d));
  end if;
  return null;
end $$;

-- Approvals feed both rollups.
create function add_approval_totals(requester_id uuid[], status text[], currency text[], approvals integer[],
                                    amount numeric[]) returns void language sql as $$
  insert into approval_totals as t (requester_id, status, currency, approvals, amount)
  select r, s, c, sum(n), sum(a)
  from unnest(requester_id, status, currency, approvals, amount) as x (r, s, c, n, a)
  where r is not null and s is not null
  group by r, s, c
  having sum(n) <> 0 or sum(a) <> 0
  order by r, s, c
  on conflict (requester_id, status, currency) do update set
    approvals = t.approvals + excluded.approvals,
    amount = t.amount + excluded.amount
$$;

create function approvals_rollup() returns trigger language plpgsql set search_path from current as $$
declare
  r uuid[]; s text[]; c text[]; n integer[]; a numeric[];
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, approval_deltas(o.requester_id, o.created_at, o.status, o.decided_at, o.amount, -1) d
      union all
      select d from new_rows x, approval_deltas(x.requester_id, x.created_at, x.status, x.decided_at, x.amount, 1) d));
    select array_agg(requester_id), array_agg(status), array_agg(currency), array_agg(sign), array_agg(amount)
      into r, s, c, n, a
    from (select o.requester_id, o.status, coalesce(o.currency, '') as currency, -1 as sign,
                 -coalesce(o.amount, 0) as amount from old_rows o
          union all
          select x.requester_id, x.status, coalesce(x.currency, ''), 1, coalesce(x.amount, 0) from new_rows x) rows;
  elsif tg_op = 'INSERT' then
    perform add_stats(array(
      select d from new_rows x, approval_deltas(x.requester_id, x.created_at, x.status, x.decided_at, x.amount, 1) d));
    select array_agg(x.requester_id), array_agg(x.status), array_agg(coalesce(x.currency, '')), array_agg(1),
           array_agg(coalesce(x.amount, 0))
      into r, s, c, n, a
    from new_rows x;
  else
    perform add_stats(array(
      select d from old_rows o, approval_deltas(o.requester_id, o.created_at, o.status, o.decided_at, o.amount, -1) d));
    select array_agg(o.requester_id), array_agg(o.status), array_agg(coalesce(o.currency, '')), array_agg(-1),
           array_agg(-coalesce(o.amount, 0))
      into r, s, c, n, a
    from old_rows o;
  end if;
  if r is not null then
    perform add_approval_totals(r, s, c, n, a);
  end if;
  return null;
end $$;

create trigger customers_rollup_insert after insert on customers
  referencing new table as new_rows for each statement execute function customers_rollup();
create trigger customers_rollup_update after update on customers
  referencing old table as old_rows new table as new_rows for each statement execute function customers_rollup();
create trigger customers_rollup_delete after delete on customers
  referencing old table as old_rows for each statement execute function customers_rollup();

create trigger meetings_rollup_insert after insert on meetings
  referencing new table as new_rows for each statement execute function meetings_rollup();
create trigger meetings_rollup_update after update on meetings
  referencing old table as old_rows new table as new_rows for each statement execute function meetings_rollup();
create trigger meetings_rollup_delete after delete on meetings
  referencing old table as old_rows for each statement execute function meetings_rollup();

create trigger tasks_rollup_insert after insert on tasks
  referencing new table as new_rows for each statement execute function tasks_rollup();
create trigger tasks_rollup_update after update on tasks
  referencing old table as old_rows new table as new_rows for each statement execute function tasks_rollup();
create trigger tasks_rollup_delete after delete on tasks
  referencing old table as old_rows for each statement execute function tasks_rollup();

create trigger approvals_rollup_insert after insert on approvals
  referencing new table as new_rows for each statement execute function approvals_rollup();
create trigger approvals_rollup_update after update on approvals
  referencing old table as old_rows new table as new_rows for each statement execute function approvals_rollup();
create trigger approvals_rollup_delete after delete on approvals
  referencing old table as old_rows for each statement execute function approvals_rollup();
)sql";


// Migration 7: add_stats and add_approval_totals as PL/pgSQL, the same
// statements. A multi-statement SQL function is planned again on every call,
// and every projected event calls one from its statement's trigger (an
// INSERT .. ON CONFLICT fires both the insert and the update trigger): three
// upserts planned twice per event were most of a projection's time. PL/pgSQL
// keeps its plans for the session, and returns at once when the statement
// changed nothing the rollups count. 1,000 single-row upserts of customers
// took 0.77-0.86 s before, 0.27-0.40 s after. (The parameters of
// add_approval_totals share their names with approval_totals' columns:
// there the columns win, as they did in SQL.)
inline constexpr const char* kRollupFunctionsPlpgsql = R"sql(
create or replace function add_stats(deltas stat_delta[]) returns void language plpgsql as $$
begin
  if cardinality(deltas) = 0 then
    return;
  end if;
  insert into daily_user_stats as s (user_id, day, customers, meetings, tasks_completed, tasks_open_due,
                                     approvals_requested, approvals_approved, approvals_rejected, approved_amount)
  select user_id, day, sum(customers), sum(meetings), sum(tasks_completed), sum(tasks_open_due),
         sum(approvals_requested), sum(approvals_approved), sum(approvals_rejected), sum(approved_amount)
  from unnest(deltas)
  group by user_id, day
  having sum(customers) <> 0 or sum(meetings) <> 0 or sum(tasks_completed) <> 0 or sum(tasks_open_due) <> 0
      or sum(approvals_requested) <> 0 or sum(approvals_approved) <> 0 or sum(approvals_rejected) <> 0
      or sum(approved_amount) <> 0
  order by user_id, day
  on conflict (user_id, day) do update set
    customers = s.customers + excluded.customers,
    meetings = s.meetings + excluded.meetings,
    tasks_completed = s.tasks_completed + excluded.tasks_completed,
    tasks_open_due = s.tasks_open_due + excluded.tasks_open_due,
    approvals_requested = s.approvals_requested + excluded.approvals_requested,
    approvals_approved = s.approvals_approved + excluded.approvals_approved,
    approvals_rejected = s.approvals_rejected + excluded.approvals_rejected,
    approved_amount = s.approved_amount + excluded.approved_amount;

  insert into monthly_user_stats as s (user_id, month, customers, meetings, tasks_completed, tasks_open_due,
                                       approvals_requested, approvals_approved, approvals_rejected, approved_amount)
  select user_id, date_trunc('month', day)::date, sum(customers), sum(meetings), sum(tasks_completed),
         sum(tasks_open_due), sum(approvals_requested), sum(approvals_approved), sum(approvals_rejected),
         sum(approved_amount)
  from unnest(deltas)
  group by 1, 2
  having sum(customers) <> 0 or sum(meetings) <> 0 or sum(tasks_completed) <> 0 or sum(tasks_open_due) <> 0
      or sum(approvals_requested) <> 0 or sum(approvals_approved) <> 0 or sum(approvals_rejected) <> 0
      or sum(approved_amount) <> 0
  order by 1, 2
  on conflict (user_id, month) do update set
    customers = s.customers + excluded.customers,
    meetings = s.meetings + excluded.meetings,
    tasks_completed = s.tasks_completed + excluded.tasks_completed,
    tasks_open_due = s.tasks_open_due + excluded.tasks_open_due,
    approvals_requested = s.approvals_requested + excluded.approvals_requested,
    approvals_approved = s.approvals_approved + excluded.approvals_approved,
    approvals_rejected = s.approvals_rejected + excluded.approvals_rejected,
    approved_amount = s.approved_amount + excluded.approved_amount;

  insert into user_totals as t (user_id, customers)
  select user_id, sum(customers)
  from unnest(deltas)
  group by user_id
  having sum(customers) <> 0
  order by user_id
  on conflict (user_id) do update set customers = t.customers + excluded.customers;
end $$;

create or replace function add_approval_totals(requester_id uuid[], status text[], currency text[],
                                               approvals integer[], amount numeric[])
returns void language plpgsql as $$
#variable_conflict use_column
begin
  if cardinality(requester_id) = 0 then
    return;
  end if;
  insert into approval_totals as t (requester_id, status, currency, approvals, amount)
  select r, s, c, sum(n), sum(a)
  from unnest(requester_id, status, currency, approvals, amount) as x (r, s, c, n, a)
  where r is not null and s is not null
  group by r, s, c
  having sum(n) <> 0 or sum(a) <> 0
  order by r, s, c
  on conflict (requester_id, status, currency) do update set
    approvals = t.approvals + excluded.approvals,
    amount = t.amount + excluded.amount;
end $$;
)sql";

} // namespace analytics
