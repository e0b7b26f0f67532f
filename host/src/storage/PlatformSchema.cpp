// PlatformSchema: see the header.
#include "storage/PlatformSchema.hpp"

#include <string>

namespace crm::storage {

namespace {

const char* kPlatformTables = R"SQL(
create schema if not exists platform;
-- Trigram indexes for plugins' case-insensitive search (a trusted extension:
-- the database owner may create it; plugins' roles may not).
create extension if not exists pg_trgm with schema public;
create table if not exists platform.plugin_migrations (
  plugin text not null,
  version integer not null,
  checksum text not null,
  applied_at timestamptz not null default now(),
  primary key (plugin, version)
);
-- Written by the invoker in each mutating operation's transaction (as the
-- plugin's role, which may only insert), and by plugins through audit().
create table if not exists platform.audit_log (
  id bigserial primary key,
  time timestamptz not null default now(),
  actor_id text,
  action text not null,
  resource_id text,
  outcome text not null,
  client_ip text,
  request_id text,
  detail jsonb
);
-- A workflow's calls: the user who started the instance, and the instance.
alter table platform.audit_log add column if not exists on_behalf_of text;
alter table platform.audit_log add column if not exists workflow_instance_id uuid;
create index if not exists audit_log_actor on platform.audit_log (actor_id, id);
create index if not exists audit_log_resource on platform.audit_log (resource_id, id);
create index if not exists audit_log_time on platform.audit_log (time);
-- Events a consumer gave up on (invalid, or still failing after max_deliver):
-- listed and replayed by GET/POST /api/events/dlq. Also published to stream
-- CRM_DLQ for tools that read NATS.
create table if not exists platform.dead_letters (
  id uuid primary key,
  consumer text not null,
  operation text not null,
  event_id uuid not null,
  event_type text not null,
  envelope jsonb not null,
  error text not null,
  attempts integer not null,
  failed_at timestamptz not null default now(),
  replayed_at timestamptz
);
create index if not exists dead_letters_open on platform.dead_letters (failed_at) where replayed_at is null;
-- Every version of every workflow definition that went live, by content hash.
create table if not exists platform.workflow_definitions (
  name text not null,
  version text not null,
  source text not null,
  created_at timestamptz not null default now(),
  primary key (name, version)
);
-- The version of each workflow new instances start on (the last that went
-- live on any host).
create table if not exists platform.workflow_live (
  name text primary key,
  version text not null,
  kind text not null,   -- saga | state_machine
  start text,           -- state machine: the first state
  updated_at timestamptz not null default now()
);
-- Workflow instances: where each one is, what it holds, when it wakes. A
-- host works on an instance only while it holds its lease.
create table if not exists platform.workflow_instances (
  id uuid primary key,
  name text not null,
  version text not null,
  kind text not null,                      -- saga | state_machine
  status text not null,                    -- RUNNING WAITING COMPLETED FAILED COMPENSATED CANCELLED
  state text,                              -- state machine: the current state
  step integer not null default 0,         -- saga: the current step (index)
  phase text not null default 'forward',   -- saga: forward | compensating
  run integer not null default 1,          -- retries of a finished saga start a new run
  attempt integer not null default 0,      -- failed attempts of the current step or state
  seq integer not null default 0,          -- transitions so far
  input jsonb not null,
  vars jsonb not null default '{}',
  trigger_event_id uuid,
  parent_id uuid,
  wait_events text[],
  wait_key text,
  wait_path text[],
  wait_since timestamptz,
  event jsonb,                             -- the event that ended the last wait
  wake_at timestamptz,
  cancel_requested boolean not null default false,
  error jsonb,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
-- saga: batches of the current step done (a batched step's operation answers
-- {"more": true} until it has done everything).
alter table platform.workflow_instances add column if not exists batch integer not null default 0;
-- Who started the instance: the user of a REST start, the actor of the
-- triggering event, the parent's initiator for a child. Its calls are audited
-- on that user's behalf.
alter table platform.workflow_instances add column if not exists started_by text;
create unique index if not exists workflow_instances_trigger
  on platform.workflow_instances (name, trigger_event_id) where trigger_event_id is not null;
create index if not exists workflow_instances_due
  on platform.workflow_instances (wake_at) where status in ('RUNNING', 'WAITING');
create index if not exists workflow_instances_waiting
  on platform.workflow_instances (wait_key) where status = 'WAITING';
create index if not exists workflow_instances_recent on platform.workflow_instances (created_at desc, id desc);
create index if not exists workflow_instances_parent on platform.workflow_instances (parent_id) where parent_id is not null;
-- Every step, state and attempt of every instance.
create table if not exists platform.workflow_steps (
  id bigserial primary key,
  instance_id uuid not null,
  name text not null,
  phase text not null,                     -- forward | compensate | state
  run integer not null,
  attempt integer not null,
  status text not null,                    -- COMPLETED | FAILED
  started_at timestamptz not null,
  duration_ms double precision not null,
  result jsonb,
  error text
);
create index if not exists workflow_steps_instance on platform.workflow_steps (instance_id, id);
-- Events of the types workflows wait on, kept a while so a wait that begins
-- just after its event still sees it.
create table if not exists platform.workflow_mailbox (
  event_id uuid primary key,
  type text not null,
  envelope jsonb not null,
  received_at timestamptz not null default now()
);
create index if not exists workflow_mailbox_type on platform.workflow_mailbox (type, received_at);
-- Events workflows emit, relayed like a plugin's outbox.
create table if not exists platform.crm_outbox (
  seq bigserial primary key,
  id uuid not null unique,
  type text not null,
  source text not null,
  subject text,
  actor text not null,
  traceparent text,
  data jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index if not exists crm_outbox_unpublished on platform.crm_outbox (seq) where published_at is null;
-- The plugins' schedules: each occurrence is claimed (next_run_at moved on)
-- and run by one host.
create table if not exists platform.schedules (
  operation text primary key,
  plugin text not null,
  every_seconds integer not null,
  next_run_at timestamptz not null,
  last_run_at timestamptz,
  last_host text
);
-- Access tokens revoked before their expiry; every host keeps them in memory.
create table if not exists platform.revoked_tokens (
  jti text primary key,
  expires_at timestamptz not null
);
)SQL";

constexpr long long kPlatformLock = 0x43524d0001LL; // "CRM" 1

} // namespace

void ensure_platform_schema(PgConnection& conn) {
  conn.exec("select pg_advisory_lock(" + std::to_string(kPlatformLock) + ")");
  try {
    conn.exec(kPlatformTables);
  } catch (...) {
    conn.exec("select pg_advisory_unlock(" + std::to_string(kPlatformLock) + ")");
    throw;
  }
  conn.exec("select pg_advisory_unlock(" + std::to_string(kPlatformLock) + ")");
}

} // namespace crm::storage
