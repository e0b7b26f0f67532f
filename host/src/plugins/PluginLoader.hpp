// PluginLoader: turns one .so file into a running plugin, or into a refusal
// with a reason. Steps: check the file may be trusted (owner, mode, where a
// link points: PluginFileTrust), load the library (RTLD_LOCAL), find the entry symbol,
// read and check the definition (ABI, sizes, names, roles, routes, schemas),
// check it against the plugins already running, provision its schema and run
// its migrations, open its connection pool, call init, then publish it.
// A failure at any step refuses the plugin and leaves the host as it was.
#pragma once

#include "plugins/PluginRegistry.hpp"
#include "plugins/SchemaProvisioner.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace crm::plugins {

struct LoaderConfig {
  std::string conninfo; // the platform database
  std::string password;
  std::string role_prefix = "crm_plugin_";
  size_t pool_size = 32;
  std::chrono::milliseconds acquire_timeout{5000};
  int statement_timeout_ms = 30000;
  // Per-plugin settings: its configuration as a JSON object, its own DSN (empty
  // for the platform database).
  std::function<std::string(const std::string& plugin)> config_json;
  std::function<std::string(const std::string& plugin)> conninfo_for;
  // Called once a plugin is admitted (routed), on the loading thread.
  std::function<void(const PluginInstance& plugin)> on_admitted;
  // Called when a plugin is refused because its schema or migrations could
  // not be set up (with the refusal's reason), on the loading thread.
  std::function<void(const std::string& plugin, const std::string& reason)> on_schema_failed;
};

class PluginLoader {
public:
  PluginLoader(PluginRegistry& registry, LoaderConfig config);

  // Loads one file; true when the plugin is running, false when refused (the
  // reason is in the registry and the log).
  bool load(const std::string& path);

  // True if the running plugin came from this file name.
  bool is_loaded_file(const std::string& file_name) const;

  // Runs every plugin's shutdown(); no handler may run after.
  void shutdown_all();

private:
  std::string read_definition(const crm_plugin_def* raw, PluginInstance& out);
  void refuse(const std::string& path, const PluginInstance* p, const std::string& error);

  PluginRegistry& registry_;
  LoaderConfig config_;
  SchemaProvisioner provisioner_;
  std::vector<std::string> prepared_databases_;
};

} // namespace crm::plugins
