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
