// Migrations: the analytics schema. Two kinds of data live here:
//
//  - notifications, written once per event and user by the notify_*
//    operations, read and marked by their owners; never rebuilt;
//  - read-models (users, customers, meetings, tasks, approvals) kept by the
//    project_* operations from other contexts' events, and the rollups the
//    reports read, kept by triggers on them (RollupSchema.hpp). A rebuild
//    truncates all of it (reset_read_models) and replays the events.
//
// Events of one entity arrive on different durable consumers, so in any
// order: every projection is a merge. Facts that never change (createdAt,
// completedAt, a final approval status) are kept once known; what can change
// (owner, status, assignee, dueAt) is taken from the event with the later
// envelope time (state_at). Rows may exist before their "created" event
// (placeholders), with the columns no event has named yet left NULL.
//
// Days are UTC dates. Version 1 is this file: notifications and the
// read-models; 2 the rollups and their triggers (RollupSchema.hpp); 3 the
// reports' queries (ReportFunctions.hpp); 4 versions and tombstones for
// meetings and tasks (ActivityVersionsSchema.hpp). The host applies each
// version once, in order, inside the schema `analytics`.
#pragma once

#include "ActivityVersionsSchema.hpp"
#include "ReportFunctions.hpp"
#include "RollupSchema.hpp"

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace analytics {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
-- ---------------------------------------------------------------- helpers
create function utc_day(t timestamptz) returns date language sql immutable as $$
  select (t at time zone 'UTC')::date
$$;

-- The API's timestamps: RFC 3339 UTC with milliseconds.
create function api_time(t timestamptz) returns text language sql immutable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- ---------------------------------------------------------------- notifications
create table notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  kind text not null,
  title text not null,
  body text not null default '',
  resource_type text null,
  resource_id text null,
  -- The customers the notification is about, for archive_for_customer.
  customer_ids uuid[] not null default '{}',
  -- The event that caused it: one notification per event and user, however
  -- often the event is delivered.
  event_id uuid not null,
  created_at timestamptz not null default now(),
  read_at timestamptz null,
  archived_at timestamptz null, -- hidden from every list (customer deletion)
  unique (event_id, user_id)
);
create index notifications_user_page_idx on notifications (user_id, created_at desc, id desc)
  where archived_at is null;
create index notifications_user_unread_idx on notifications (user_id, created_at desc, id desc)
  where archived_at is null and read_at is null;
create index notifications_customer_idx on notifications using gin (customer_ids);

-- {id, userId, kind, title, body, resourceType, resourceId, read, createdAt}:
-- also the data of notification.created, which the host pushes to the
-- user's stream as is.
create function notification_json(n notifications) returns json language sql stable as $$
  select json_build_object(
    'id', n.id,
    'userId', n.user_id,
    'kind', n.kind,
    'title', n.title,
    'body', n.body,
    'resourceType', n.resource_type,
    'resourceId', n.resource_id,
    'read', n.read_at is not null,
    'createdAt', api_time(n.created_at))
$$;

-- ---------------------------------------------------------------- read-models
-- Event ids the projections have applied: a rebuild replays events without
-- the host's inbox, and live deliveries may overlap it.
create table applied_events (
  event_id uuid primary key,
  applied_at timestamptz not null default now()
);

-- Users, from auth's events: names for the reports, and who the ADMIN's
-- per-user report lists.
create table users (
  id uuid primary key,
  name text null,
  email text null,
  role text null,
  manager_id uuid null,
  active boolean not null default true,
  state_at timestamptz not null
);

create table customers (
  id uuid primary key,
  owner_id uuid null,
  status text null,
  created_at timestamptz null,
  deleted boolean not null default false,
  state_at timestamptz not null -- time of the event owner_id and status come from
);
create index customers_owner_idx on customers (owner_id) where not deleted;

create table meetings (
  id uuid primary key,
  customer_id uuid null,
  owner_id uuid not null,
  scheduled_at timestamptz not null,
  created_at timestamptz null
);
create index meetings_owner_idx on meetings (owner_id, scheduled_at);
create index meetings_customer_idx on meetings (customer_id);

create table tasks (
  id uuid primary key,
  customer_id uuid null,
  assignee_id uuid not null,
  due_at timestamptz not null,
  completed_at timestamptz null,
  created_at timestamptz null,
  state_at timestamptz not null -- time of the event assignee_id, due_at, customer_id come from
);
create index tasks_open_assignee_idx on tasks (assignee_id, due_at) where completed_at is null;
create index tasks_open_due_idx on tasks (due_at) where completed_at is null;
create index tasks_customer_idx on tasks (customer_id);

create table approvals (
  id uuid primary key,
  customer_id uuid null,
  requester_id uuid null,
  title text null,
  amount numeric null,
  currency text null,
  status text null,
  level integer null,
  current_approver_id uuid null,
  created_at timestamptz null,
  decided_at timestamptz null,
  state_at timestamptz not null,
  -- When a cancellation (the customer's deletion) was last undone: a
  -- cancellation older than that is history.
  restored_at timestamptz null
);
create index approvals_approver_pending_idx on approvals (current_approver_id) where status = 'PENDING';
create index approvals_requester_pending_idx on approvals (requester_id) where status = 'PENDING';

-- Customers dropped by the customer-deletion saga (drop_customer): a rebuild
-- must not bring back what the saga took away. Not a read-model: a reset
-- keeps it.
create table dropped_customers (
  id uuid primary key,
  dropped_at timestamptz not null default now()
);
)sql"},
    {2, kRollupSchema},
    {3, kReportFunctions},
    {4, kActivityVersionsSchema},
    // cursor_time() for the notification list's cursors (crm/keyset_page.hpp);
    // version 1 had its own copy, which this replaces in place.
    {5, crm::sql::kCursorTime},
    // The moment an event was applied, not its transaction's start: a
    // consumer applies a batch of events in one transaction.
    {6, "alter table applied_events alter column applied_at set default clock_timestamp()"},
    // The rollups' functions, planned once per session (RollupSchema.hpp).
    {7, kRollupFunctionsPlpgsql},
};

} // namespace analytics
