// Migrations: the sales schema (meetings, tasks) and meeting_json() /
// task_json(), the one place each API object is built from a row. The host
// applies each version once, in order, inside the schema `sales`.
//
// Rows are never removed: DELETE and the customer-deletion saga set
// deleted_at, which hides a row from every read and lets the saga's
// compensation bring exactly those rows back. Owners and customers are ids
// of other plugins' records, so there are no foreign keys to them.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace sales {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table meetings (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null,
  owner_id uuid not null,
  title text not null check (char_length(title) between 1 and 200),
  scheduled_at timestamptz not null,
  duration_minutes integer not null default 30 check (duration_minutes between 1 and 1440),
  location text null check (char_length(location) <= 200),
  notes text null check (char_length(notes) <= 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz null
);
-- Lists in the caller's scope, in keyset order; "future meetings of X" for reassignment.
create index meetings_owner_scheduled_idx on meetings (owner_id, scheduled_at, id) where deleted_at is null;
create index meetings_scheduled_idx on meetings (scheduled_at, id) where deleted_at is null;
create index meetings_customer_idx on meetings (customer_id) where deleted_at is null;

create table tasks (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid null,
  assignee_id uuid not null,
  title text not null check (char_length(title) between 1 and 200),
  description text null check (char_length(description) <= 5000),
  due_at timestamptz not null,
  priority text not null default 'NORMAL' check (priority in ('LOW', 'NORMAL', 'HIGH')),
  status text not null default 'OPEN' check (status in ('OPEN', 'DONE')),
  completed_at timestamptz null,
  -- Set by the due-soon scan when it emits task.due_soon; cleared when dueAt moves.
  due_soon_alerted_at timestamptz null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz null,
  check ((status = 'DONE') = (completed_at is not null))
);
create index tasks_assignee_due_idx on tasks (assignee_id, due_at, id) where deleted_at is null;
create index tasks_due_idx on tasks (due_at, id) where deleted_at is null;
create index tasks_customer_idx on tasks (customer_id) where deleted_at is null;
-- What the due-soon scan looks for, every minute: small, whatever the history.
create index tasks_due_soon_pending_idx on tasks (due_at)
  where status = 'OPEN' and due_soon_alerted_at is null and deleted_at is null;

-- The API's objects, timestamps RFC 3339 UTC with milliseconds.
create function api_time(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- {id, customerId, ownerId, title, scheduledAt, durationMinutes, location, notes, createdAt, updatedAt}
create function meeting_json(m meetings) returns json language sql stable as $$
  select json_build_object(
    'id', m.id,
    'customerId', m.customer_id,
    'ownerId', m.owner_id,
    'title', m.title,
    'scheduledAt', api_time(m.scheduled_at),
    'durationMinutes', m.duration_minutes,
    'location', m.location,
    'notes', m.notes,
    'createdAt', api_time(m.created_at),
    'updatedAt', api_time(m.updated_at))
$$;

-- {id, customerId, assigneeId, title, description, dueAt, priority, status,
--  completedAt, createdAt, updatedAt}
create function task_json(t tasks) returns json language sql stable as $$
  select json_build_object(
    'id', t.id,
    'customerId', t.customer_id,
    'assigneeId', t.assignee_id,
    'title', t.title,
    'description', t.description,
    'dueAt', api_time(t.due_at),
    'priority', t.priority,
    'status', t.status,
    'completedAt', api_time(t.completed_at),
    'createdAt', api_time(t.created_at),
    'updatedAt', api_time(t.updated_at))
$$;
)sql"},
    // What each batched reassignment moved (kind `meeting` or `task`), for
    // its compensation: the SDK's table (crm/sdk/schema_sql.hpp).
    {2, crm::sql::kTransfersTable},
    // A version per row, one more at every change (whatever statement makes
    // it), carried by every event about the row but *.created (version 1):
    // a consumer that sees a row's events in any order keeps the state of
    // the highest version. meeting_event_json() and task_event_json() are
    // the API object plus `version` and `deleted`.
    {3, R"sql(
alter table meetings add column version bigint not null default 1;
alter table tasks add column version bigint not null default 1;

create function next_version() returns trigger language plpgsql as $$
begin
  new.version := old.version + 1;
  return new;
end $$;
create trigger meetings_next_version before update on meetings for each row execute function next_version();
create trigger tasks_next_version before update on tasks for each row execute function next_version();

create function meeting_event_json(m meetings) returns json language sql stable as $$
  select (meeting_json(m)::jsonb || jsonb_build_object('version', m.version, 'deleted', m.deleted_at is not null))::json
$$;

create function task_event_json(t tasks) returns json language sql stable as $$
  select (task_json(t)::jsonb || jsonb_build_object('version', t.version, 'deleted', t.deleted_at is not null))::json
$$;
)sql"},
    // cursor_time() for the lists' cursors (crm/keyset_page.hpp); version 1
    // had its own copy, which this replaces in place.
    {4, crm::sql::kCursorTime},
};

} // namespace sales
