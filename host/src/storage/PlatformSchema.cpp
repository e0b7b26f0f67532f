// PlatformSchema: see the header.
#include "storage/PlatformSchema.hpp"

#include <string>

namespace crm::storage {

namespace {

const char* kPlatformTables = R"SQL(
create schema if not exists platform;
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
