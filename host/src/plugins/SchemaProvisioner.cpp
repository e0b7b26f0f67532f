// SchemaProvisioner: see the header.
#include "plugins/SchemaProvisioner.hpp"

#include "storage/PlatformSchema.hpp"

#include "log/Log.hpp"
#include "storage/PgConnection.hpp"
#include "storage/PgError.hpp"

#include <Poco/SHA1Engine.h>

#include <set>
#include <stdexcept>
#include <string_view>

namespace crm::plugins {

namespace {

// Tables every plugin schema carries for the host. Created as the plugin's
// role so the plugin owns them like its own tables. in_place() looks for each
// of them by name: one added here is added there too.
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

SchemaProvisioner::SchemaProvisioner(std::string password) : password_(std::move(password)) {}

SchemaProvisioner::~SchemaProvisioner() = default;

storage::PgConnection& SchemaProvisioner::connection(const std::string& conninfo) {
  auto& conn = connections_[conninfo];
  if (!conn)
    conn = std::make_unique<storage::PgConnection>(conninfo, password_,
                                                   "set client_min_messages = warning; set time zone 'UTC'");
  return *conn;
}

// `work` on the kept connection; once more on a new one when the kept one
// turns out closed (the server restarted since it was opened).
template <typename Work>
void SchemaProvisioner::with_connection(const std::string& conninfo, Work&& work) {
  for (int attempt = 0;; ++attempt) {
    const bool kept = connections_.count(conninfo) > 0;
    try {
      work(connection(conninfo));
      return;
    } catch (const storage::PgError& e) {
      connections_.erase(conninfo);
      if (!(kept && e.connection_lost() && attempt == 0)) throw;
    } catch (...) {
      connections_.erase(conninfo);
      throw;
    }
  }
}

void SchemaProvisioner::prepare_platform(const std::string& conninfo) {
  with_connection(conninfo, [](storage::PgConnection& conn) { storage::ensure_platform_schema(conn); });
}

namespace {

// Whether everything provision() does is done already: the role, this
// host's membership of it, the schema, the grants on platform objects, the
// host's tables and every migration of the plugin. Then a start reads one row
// and writes nothing (the grants alone rewrite catalog rows, and take turns
// with every other host's, each time they run).
bool in_place(storage::PgConnection& conn, const PluginInstance& plugin) {
  std::string versions = "{";
  for (const auto& m : plugin.migrations) versions += (versions.size() > 1 ? "," : "") + std::to_string(m.version);
  versions += "}";
  const char* p[] = {plugin.db_role.c_str(), plugin.schema.c_str(), plugin.name.c_str(), versions.c_str()};
  auto r = conn.query(
      "select case when exists (select 1 from pg_roles where rolname = $1) "
      "and exists (select 1 from pg_namespace where nspname = $2) then "
      "pg_has_role(current_user, $1, 'MEMBER') and has_schema_privilege($1, 'platform', 'USAGE') "
      "and has_table_privilege($1, 'platform.audit_log', 'INSERT') "
      "and has_sequence_privilege($1, 'platform.audit_log_id_seq', 'USAGE') "
      "and to_regclass(quote_ident($2) || '.crm_outbox') is not null "
      "and to_regclass(quote_ident($2) || '.crm_outbox_unpublished') is not null "
      "and to_regclass(quote_ident($2) || '.crm_inbox') is not null "
      "and to_regclass(quote_ident($2) || '.crm_idempotency') is not null else false end, "
      "(select count(distinct version) from platform.plugin_migrations where plugin = $3 "
      "and version = any($4::int[]))",
      p, 4);
  return r.rows() == 1 && std::string_view(r.value(0, 0)) == "t" &&
         std::stoul(r.value(0, 1)) == plugin.migrations.size();
}

} // namespace

void SchemaProvisioner::provision(const PluginInstance& plugin) {
  with_connection(plugin.conninfo, [&](storage::PgConnection& conn) {
    if (!in_place(conn, plugin)) provision(conn, plugin);
  });
}

void SchemaProvisioner::provision(storage::PgConnection& conn, const PluginInstance& plugin) {
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
