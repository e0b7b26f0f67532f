// SchemaProvisioner: see the header.
#include "plugins/SchemaProvisioner.hpp"

#include "storage/PlatformSchema.hpp"

#include "log/Log.hpp"
#include "storage/PgConnection.hpp"

#include <Poco/SHA1Engine.h>

#include <set>
#include <stdexcept>

namespace crm::plugins {

namespace {

// Tables every plugin schema carries for the host. Created as the plugin's
// role so the plugin owns them like its own tables.
const char* kHostTables = R"SQL(
create table if not exists crm_outbox (
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
create index if not exists crm_outbox_unpublished on crm_outbox (seq) where published_at is null;
create table if not exists crm_inbox (
  event_id uuid not null,
  consumer text not null,
  handled_at timestamptz not null default now(),
  primary key (event_id, consumer)
);
-- Calls made with an idempotency key (workflow steps): the key and the reply,
-- written in the call's transaction, so a repeated call returns the first
-- reply and has no second effect.
create table if not exists crm_idempotency (
  key text primary key,
  reply text,
  created_at timestamptz not null default now()
);
)SQL";


std::string checksum(const std::string& sql) {
  Poco::SHA1Engine sha;
  sha.update(sql);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

} // namespace

std::string SchemaProvisioner::quote_ident(const std::string& ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string SchemaProvisioner::connection_setup(const PluginInstance& plugin, int statement_timeout_ms) {
  return "set role " + quote_ident(plugin.db_role) + "; set search_path to " + quote_ident(plugin.schema) +
         "; set time zone 'UTC'; set statement_timeout = " + std::to_string(statement_timeout_ms);
}

void SchemaProvisioner::prepare_platform(const std::string& conninfo) {
  storage::PgConnection conn(conninfo, password_, "set client_min_messages = warning");
  storage::ensure_platform_schema(conn);
}

void SchemaProvisioner::provision(const PluginInstance& plugin) {
  storage::PgConnection conn(plugin.conninfo, password_, "set client_min_messages = warning; set time zone 'UTC'");
  const std::string role = quote_ident(plugin.db_role);
  const std::string schema = quote_ident(plugin.schema);
  const char* name[] = {plugin.name.c_str()};
  conn.exec("begin");
  try {
    conn.query("select pg_advisory_xact_lock(hashtext('crm.plugin:' || $1))", name, 1);
    // Roles are shared by every database of the cluster: another host may be
    // creating the same one right now.
    conn.exec("do $$ begin create role " + role +
              " nologin; exception when duplicate_object or unique_violation then null; end $$");
    conn.exec("do $$ begin grant " + role +
              " to current_user; exception when duplicate_object or unique_violation then null; end $$");
    conn.exec("create schema if not exists " + schema + " authorization " + role);
    // The audit entry of a mutation is written in its transaction, as its role.
    // GRANTs on one object from two transactions fail ("tuple concurrently
    // updated"), so every host's grants on platform objects take turns.
    conn.exec("select pg_advisory_xact_lock(hashtext('crm.platform.grants'))");
    conn.exec("grant usage on schema platform to " + role + "; grant insert on platform.audit_log to " + role +
              "; grant usage on sequence platform.audit_log_id_seq to " + role);

    std::set<unsigned> applied;
    auto rows = conn.query("select version from platform.plugin_migrations where plugin = $1", name, 1);
    for (int i = 0; i < rows.rows(); ++i) applied.insert(static_cast<unsigned>(std::stoul(rows.value(i, 0))));

    conn.exec("set local role " + role + "; set local search_path to " + schema);
    conn.exec(kHostTables);
    std::vector<const Migration*> done;
    for (const auto& m : plugin.migrations) {
      if (applied.count(m.version)) continue;
      try {
        conn.exec(m.sql);
      } catch (const storage::PgError& e) {
        throw std::runtime_error("migration " + std::to_string(m.version) + " failed: " + e.what());
      }
      done.push_back(&m);
    }
    conn.exec("reset role; set local search_path to platform");
    for (const Migration* m : done) {
      std::string version = std::to_string(m->version), sum = checksum(m->sql);
      const char* params[] = {plugin.name.c_str(), version.c_str(), sum.c_str()};
      conn.query("insert into platform.plugin_migrations (plugin, version, checksum) values ($1, $2, $3)", params, 3);
    }
    conn.exec("commit");
    if (!done.empty())
      log::info("plugins", "applied " + std::to_string(done.size()) + " migration(s)", {{"plugin", plugin.name}});
  } catch (...) {
    try {
      conn.exec("rollback");
    } catch (...) {
    }
    throw;
  }
}

} // namespace crm::plugins
