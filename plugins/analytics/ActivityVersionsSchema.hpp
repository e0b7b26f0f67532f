// ActivityVersionsSchema: migration 4, which lets the meetings and tasks
// read-models follow every change sales announces (edits, deletions,
// reassignments), not only creation and completion.
//
// Each row keeps two positions, each a (version, event time) pair: sales
// gives every meeting and task a version that grows by one at every change
// and puts it in every event about the row but its creation (version 1).
// An event without a version (a creation, or one from before versions)
// counts as version 0, ordered by its time among those.
//   version, state_at          where the row's state (customer, scheduledAt
//                              or dueAt, deleted) comes from
//   owner_version, owner_at    where its owner (assignee) comes from
// An event that carries the whole row (created, updated, completed,
// deleted, due_soon) moves both positions forward where it is newer; a
// reassignment names only ids and the new owner, so it moves only the
// owner's. That way a reassignment seen before the edit that preceded it
// keeps the owner it gave, and the edit still brings its state.
//
// Rows may be known before their state (a reassignment seen first): the
// columns no event has named yet are NULL, and such rows count nowhere.
// A deletion is a tombstone (deleted = true): the row stays, counts nowhere,
// and keeps its position, so a late older event cannot bring it back.
#pragma once

namespace analytics {

inline constexpr const char* kActivityVersionsSchema = R"sql(
alter table meetings alter column owner_id drop not null, alter column scheduled_at drop not null;
alter table meetings
  add column deleted boolean not null default false,
  add column version bigint not null default 0,
  add column state_at timestamptz not null default '-infinity',
  add column owner_version bigint not null default 0,
  add column owner_at timestamptz not null default '-infinity';

alter table tasks alter column assignee_id drop not null, alter column due_at drop not null;
alter table tasks alter column state_at set default '-infinity';
alter table tasks
  add column deleted boolean not null default false,
  add column version bigint not null default 0,
  add column assignee_version bigint not null default 0,
  add column assignee_at timestamptz not null default '-infinity';
update tasks set assignee_at = state_at;

-- What a row adds to the rollups, now also nothing when it is deleted or
-- not known well enough yet.
create function meeting_deltas(owner_id uuid, scheduled_at timestamptz, deleted boolean, sign integer)
returns setof stat_delta language sql immutable as $$
  select owner_id, utc_day(scheduled_at), 0, sign, 0, 0, 0, 0, 0, 0::numeric
  where owner_id is not null and scheduled_at is not null and not deleted
$$;

create function task_deltas(assignee_id uuid, due_at timestamptz, completed_at timestamptz, deleted boolean,
                            sign integer)
returns setof stat_delta language sql immutable as $$
  select assignee_id, utc_day(completed_at), 0, 0, sign, 0, 0, 0, 0, 0::numeric
  where assignee_id is not null and completed_at is not null and not deleted
  union all
  select assignee_id, utc_day(due_at), 0, 0, 0, sign, 0, 0, 0, 0::numeric
  where assignee_id is not null and due_at is not null and completed_at is null and not deleted
$$;

create or replace function meetings_rollup() returns trigger language plpgsql set search_path from current as $$
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, meeting_deltas(o.owner_id, o.scheduled_at, o.deleted, -1) d
      union all
      select d from new_rows n, meeting_deltas(n.owner_id, n.scheduled_at, n.deleted, 1) d));
  elsif tg_op = 'INSERT' then
    perform add_stats(array(select d from new_rows n, meeting_deltas(n.owner_id, n.scheduled_at, n.deleted, 1) d));
  else
    perform add_stats(array(select d from old_rows o, meeting_deltas(o.owner_id, o.scheduled_at, o.deleted, -1) d));
  end if;
  return null;
end $$;

create or replace function tasks_rollup() returns trigger language plpgsql set search_path from current as $$
begin
  if tg_op = 'UPDATE' then
    perform add_stats(array(
      select d from old_rows o, task_deltas(o.assignee_id, o.due_at, o.completed_at, o.deleted, -1) d
      union all
      select d from new_rows n, task_deltas(n.assignee_id, n.due_at, n.completed_at, n.deleted, 1) d));
  elsif tg_op = 'INSERT' then
    perform add_stats(array(
      select d from new_rows n, task_deltas(n.assignee_id, n.due_at, n.completed_at, n.deleted, 1) d));
  else
    perform add_stats(array(
      select d from old_rows o, task_deltas(o.assignee_id, o.due_at, o.completed_at, o.deleted, -1) d));
  end if;
  return null;
end $$;

drop function meeting_deltas(uuid, timestamptz, integer);
drop function task_deltas(uuid, timestamptz, timestamptz, integer);

-- The reports' reads of the tables themselves leave deleted rows out.
create or replace function report_overdue_today(p_scope uuid[], p_from date, p_to date)
returns table (user_id uuid, tasks_overdue bigint)
language sql stable as $$
  select t.assignee_id, count(*)
  from tasks t
  where utc_day(now()) between p_from and p_to
    and t.completed_at is null and not t.deleted
    and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()
    and (p_scope is null or t.assignee_id = any (p_scope))
  group by t.assignee_id
$$;

create or replace function report_dashboard(p_user uuid)
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
                       where t.assignee_id = p_user and t.completed_at is null and not t.deleted
                         and t.due_at >= utc_day(now())::timestamp at time zone 'UTC' and t.due_at < now()),
    'upcomingMeetings', (select count(*) from meetings m
                         where m.owner_id = p_user and not m.deleted and m.scheduled_at >= now()
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
