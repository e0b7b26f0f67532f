// SchemaProvisioner: gives a plugin its place in PostgreSQL before it runs:
// a role and a schema of its own, the host's tables in it (outbox, inbox), and
// its migrations applied in order, each once, recorded in
// platform.plugin_migrations. All of it happens in one transaction under an
// advisory lock per plugin, so several hosts starting together migrate once and
// a failing migration leaves nothing behind. A plugin whose place is all
// there already costs one query on a connection kept for the next plugin of
// the same database (used from one thread at a time: the loader's).
#pragma once

#include "plugins/Operation.hpp"

#include <map>
#include <memory>
#include <string>

namespace crm::storage {
class PgConnection;
}

namespace crm::plugins {

class SchemaProvisioner {
public:
  SchemaProvisioner(std::string password);
  ~SchemaProvisioner();

  // Creates schema `platform` and its tables if missing. Safe to run from
  // several hosts at once. Throws storage::PgError.
  void prepare_platform(const std::string& conninfo);

  // Throws storage::PgError (or std::runtime_error naming the failing
  // migration); on failure nothing of it remains in the database.
  void provision(const PluginInstance& plugin);

  // The set-up a plugin's pooled connections run once: its role, its schema.
  static std::string connection_setup(const PluginInstance& plugin, int statement_timeout_ms);
  static std::string quote_ident(const std::string& ident);

private:
  // The connection to `conninfo`'s database, opened at first use; dropped
  // after a failure, so the next one opens afresh.
  storage::PgConnection& connection(const std::string& conninfo);
  void provision(storage::PgConnection& conn, const PluginInstance& plugin);
  template <typename Work> void with_connection(const std::string& conninfo, Work&& work);

  std::string password_;
  std::map<std::string, std::unique_ptr<storage::PgConnection>> connections_;
};

} // namespace crm::plugins
