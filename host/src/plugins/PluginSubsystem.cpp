// PluginSubsystem: see the header.
#include "plugins/PluginSubsystem.hpp"

#include "http/JsonText.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Path.h>
#include <Poco/Util/Application.h>

#include <algorithm>
#include <thread>

namespace crm::plugins {

namespace {

// plugin.<name>.<key> = value -> {"key": "value", ...}; plugin.<name>.db.dsn is
// the host's, not the plugin's.
std::string plugin_config_json(const Poco::Util::AbstractConfiguration& config, const std::string& plugin) {
  std::string prefix = "plugin." + plugin;
  std::string out = "{";
  if (config.has(prefix)) {
    Poco::Util::AbstractConfiguration::Keys keys;
    config.keys(prefix, keys);
    bool first = true;
    for (const auto& k : keys) {
      if (k == "db" || !config.has(prefix + "." + k)) continue;
      if (!first) out += ',';
      first = false;
      http::append_json_string(out, k);
      out += ':';
      http::append_json_string(out, config.getString(prefix + "." + k, ""));
    }
  }
  return out + "}";
}

// 0 means "sized to this machine". Measured on 2 cores: connections beyond
// about three per core add PostgreSQL backends that compete with the request
// threads for CPU, and the p99 of a one-row read grows from ~6 ms to hundreds.
size_t pool_size(int configured) {
  if (configured > 0) return static_cast<size_t>(configured);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max<size_t>(4, 3 * static_cast<size_t>(cores));
}

} // namespace

void PluginSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  LoaderConfig lc;
  lc.conninfo = storage.conninfo();
  lc.password = storage.password();
  lc.role_prefix = config.getString("db.role_prefix", "crm_plugin_");
  lc.pool_size = pool_size(config.getInt("db.pool_size", 0));
  lc.acquire_timeout = std::chrono::milliseconds(config.getInt("db.acquire_timeout", 5) * 1000);
  lc.statement_timeout_ms = config.getInt("db.statement_timeout_ms", 30000);
  lc.config_json = [&config](const std::string& plugin) { return plugin_config_json(config, plugin); };
  lc.conninfo_for = [&config](const std::string& plugin) { return config.getString("plugin." + plugin + ".db.dsn", ""); };
  loader_ = std::make_unique<PluginLoader>(registry_, std::move(lc));

  std::string dir = Poco::Path(config.getString("plugins.dir", "plugins")).absolute().toString();
  watcher_ = std::make_unique<PluginWatcher>(*loader_, dir, config.getInt("plugins.watch_interval_ms", 1000));
  watcher_->load_initial();
  watcher_->start();
}

void PluginSubsystem::uninitialize() {
  if (watcher_) watcher_->stop();
  if (loader_) loader_->shutdown_all();
}

} // namespace crm::plugins
