// Migrations: the opportunity schema (approvals and their history) and the
// SQL functions every handler shares: approval_json() and
// approval_history_json(), the one place each API object is built from rows,
// and visible_to(), the record rule of who sees an approval. The host applies
// each version once, in order, inside the schema `opportunity`.
//
// An approval goes PENDING -> APPROVED | REJECTED | CANCELLED. While PENDING,
// `level` is the level being decided (0 until the workflow routes the first)
// and `current_approver_id` who decides it; NULL means "awaiting routing"
// (just requested, or a level was approved and the next is not assigned
// yet). `required_levels` is NULL until the workflow has routed it.
//
// Every assignment, escalation and decision is a row of approval_history, in
// order (seq). Its approver_id column also makes the approver chain: whoever
// was ever assigned an approval sees it. Requesters, customers and approvers
// are ids of other plugins' records, so there are no foreign keys to them.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace opportunity {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table approvals (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null,
  requester_id uuid not null,
  title text not null check (char_length(title) between 1 and 200),
  amount numeric(18, 2) not null check (amount > 0),
  currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  description text null check (char_length(description) <= 5000),
  status text not null default 'PENDING' check (status in ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED')),
  level integer not null default 0 check (level >= 0),
  required_levels integer null check (required_levels between 1 and 20),
  current_approver_id uuid null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  decided_at timestamptz null,
  check ((status = 'PENDING') = (decided_at is null)),
  check (current_approver_id is null or status = 'PENDING'),
  check (required_levels is null or level <= required_levels)
);
-- Lists newest first, in the caller's scope; what waits for an approver; a
-- customer's pending requests (customer deletion).
create index approvals_requester_created_idx on approvals (requester_id, created_at desc, id desc);
create index approvals_created_idx on approvals (created_at desc, id desc);
create index approvals_pending_approver_idx on approvals (current_approver_id) where status = 'PENDING';
create index approvals_pending_customer_idx on approvals (customer_id) where status = 'PENDING';

create table approval_history (
  seq bigint generated always as identity primary key,
  approval_id uuid not null references approvals (id),
  at timestamptz not null default now(),
  actor_id uuid null, -- NULL: the platform (the workflow, a saga)
  action text not null check (action in ('REQUESTED', 'ASSIGNED', 'ESCALATED', 'APPROVED', 'REJECTED', 'CANCELLED')),
  level integer not null,
  comment text null check (char_length(comment) <= 2000),
  approver_id uuid null,
  previous_approver_id uuid null
);
create index approval_history_approval_idx on approval_history (approval_id, seq);
create index approval_history_approver_idx on approval_history (approver_id, approval_id) where approver_id is not null;

-- The API's objects, timestamps RFC 3339 UTC with milliseconds.
create function api_time(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- {id, customerId, requesterId, title, amount, currency, description, status,
--  level, requiredLevels, currentApproverId, createdAt, decidedAt}
create function approval_json(a approvals) returns json language sql stable as $$
  select json_build_object(
    'id', a.id,
    'customerId', a.customer_id,
    'requesterId', a.requester_id,
    'title', a.title,
    'amount', a.amount,
    'currency', a.currency,
    'description', a.description,
    'status', a.status,
    'level', a.level,
    'requiredLevels', a.required_levels,
    'currentApproverId', a.current_approver_id,
    'createdAt', api_time(a.created_at),
    'decidedAt', api_time(a.decided_at))
$$;

-- [{at, actorId, action, level, comment, approverId, previousApproverId}], oldest first.
create function approval_history_json(approval uuid) returns json language sql stable as $$
  select coalesce(json_agg(json_build_object(
    'at', api_time(h.at),
    'actorId', h.actor_id,
    'action', h.action,
    'level', h.level,
    'comment', h.comment,
    'approverId', h.approver_id,
    'previousApproverId', h.previous_approver_id) order by h.seq), '[]'::json)
  from approval_history h
  where h.approval_id = approval
$$;

-- The record rule. `requesters` is the users whose requests the viewer sees
-- (itself, plus its team for a MANAGER; NULL for ADMIN and the platform: all);
-- whoever is or was an approver of a request sees it too.
create function visible_to(a approvals, requesters uuid[], viewer uuid) returns boolean language sql stable as $$
  select requesters is null
      or a.requester_id = any (requesters)
      or exists (select 1 from approval_history h where h.approval_id = a.id and h.approver_id = viewer)
$$;
)sql"},
    // What each batched reassignment moved (kind `requested` or `approving`),
    // for its compensation: the SDK's table (crm/sdk/schema_sql.hpp).
    {2, crm::sql::kTransfersTable},
    // What one unit of a currency is worth in EUR, the currency the
    // deal_approval routes are written in (ExchangeRates.cpp). Only EUR at
    // first: a request in another currency waits for an ADMIN to set its rate.
    {3, R"sql(
create table exchange_rates (
  currency text primary key check (currency ~ '^[A-Z]{3}$'),
  rate numeric not null check (rate > 0),
  updated_at timestamptz not null default now()
);
insert into exchange_rates (currency, rate) values ('EUR', 1);
)sql"},
    // cursor_time() for the list's cursors (crm/keyset_page.hpp); version 1
    // had its own copy, which this replaces in place.
    {4, crm::sql::kCursorTime},
};

} // namespace opportunity
