// PluginLoader: see the header.
#include "plugins/PluginLoader.hpp"

#include "log/Log.hpp"
#include "plugins/HostApi.hpp"
#include "plugins/PluginFileTrust.hpp"
#include "storage/PgError.hpp"

#include <Poco/Exception.h>
#include <Poco/Path.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <set>

namespace crm::plugins {

namespace {

using EntryFn = const crm_plugin_def* (*)(uint32_t);

bool valid_plugin_name(const char* s) {
  if (!s || !std::islower(static_cast<unsigned char>(*s))) return false;
  size_t n = 0;
  for (; s[n]; ++n)
    if (!(std::islower(static_cast<unsigned char>(s[n])) || std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '_'))
      return false;
  return n <= 40;
}

std::string str(const char* s) { return s ? s : ""; }

// Copies element i of a plugin's array whose elements are `stride` bytes as
// the plugin was compiled; fields the plugin did not know stay zero.
template <class T> T element(const void* base, uint32_t stride, size_t i) {
  T out{};
  std::memcpy(&out, static_cast<const char*>(base) + i * stride, std::min<size_t>(stride, sizeof(T)));
  return out;
}

bool valid_method(const std::string& m) {
  return m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

} // namespace

PluginLoader::PluginLoader(PluginRegistry& registry, LoaderConfig config)
    : registry_(registry), config_(std::move(config)), provisioner_(config_.password) {}

void PluginLoader::refuse(const std::string& path, const PluginInstance* p, const std::string& error) {
  RefusedPlugin r;
  r.file = Poco::Path(path).getFileName();
  if (p) {
    r.name = p->name;
    r.version = p->version;
    r.abi = p->abi;
  }
  r.error = error;
  log::error("plugins", "refused plugin " + r.file + ": " + error, {{"plugin", r.name}});
  registry_.refuse(std::move(r));
}

std::string PluginLoader::read_definition(const crm_plugin_def* raw, PluginInstance& p) {
  p.abi = raw->abi_version;
  if (CRM_ABI_MAJOR_OF(raw->abi_version) != CRM_ABI_MAJOR)
    return "built for ABI " + std::to_string(CRM_ABI_MAJOR_OF(raw->abi_version)) + "." +
           std::to_string(raw->abi_version & 0xffff) + ", this host speaks ABI " + std::to_string(CRM_ABI_MAJOR) + ".x";
  // The definition only grows at the end: an older plugin's is shorter, and
  // what it does not have stays zero (p.def starts zeroed).
  if (raw->struct_size < CRM_PLUGIN_DEF_SIZE_1_0)
    return "plugin definition struct too small (" + std::to_string(raw->struct_size) + " bytes, ABI 1.0 needs " +
           std::to_string(CRM_PLUGIN_DEF_SIZE_1_0) + ")";
  std::memcpy(&p.def, raw, std::min<size_t>(raw->struct_size, sizeof(crm_plugin_def)));
  const crm_plugin_def& d = p.def;
  // ABI 1.0's operation ended at `flags`; rate_class came with 1.1.
  constexpr size_t kOperationSize10 = offsetof(crm_operation_def, rate_class);
  if ((d.n_operations && d.operation_size < kOperationSize10) ||
      (d.n_subscriptions && d.subscription_size < sizeof(crm_subscription_def)) ||
      (d.n_schedules && d.schedule_size < sizeof(crm_schedule_def)) ||
      (d.n_migrations && d.migration_size < sizeof(crm_migration_def)))
    return "an element struct of the definition is too small for ABI 1.0";
  if (!valid_plugin_name(d.name)) return "plugin name '" + str(d.name) + "' must match [a-z][a-z0-9_]{0,39}";
  p.name = d.name;
  p.version = str(d.version);
  p.description = str(d.description);
  p.schema = p.name;
  p.db_role = config_.role_prefix + p.name;

  std::set<std::string> names;
  for (size_t i = 0; i < d.n_operations; ++i) {
    auto od = element<crm_operation_def>(d.operations, d.operation_size, i);
    auto op = std::make_unique<Operation>();
    op->name = str(od.name);
    if (op->name.rfind(p.name + ".", 0) != 0 || op->name.size() == p.name.size() + 1)
      return "operation '" + op->name + "' must be named " + p.name + ".<verb>";
    if (!names.insert(op->name).second) return "operation " + op->name + " is declared twice";
    if (!od.handler) return "operation " + op->name + " has no handler";
    std::string error;
    auto roles = Roles::parse(str(od.roles), &error);
    if (!roles) return "operation " + op->name + ": " + error;
    op->roles = *roles;
    op->http_method = str(od.http_method);
    op->http_path = str(od.http_path);
    if (!op->http_method.empty() && !valid_method(op->http_method))
      return "operation " + op->name + ": unsupported HTTP method " + op->http_method;
    if (op->http_method.empty() != op->http_path.empty())
      return "operation " + op->name + ": http_method and http_path go together";
    if (od.input_schema) {
      op->input_schema_text = od.input_schema;
      op->input_schema = core::SchemaValidator::compile(op->input_schema_text, &error);
      if (!op->input_schema) return "operation " + op->name + ": input schema: " + error;
    }
    op->handler = od.handler;
    op->http_status = od.http_status ? od.http_status : 200;
    if (op->http_status < 200 || op->http_status > 299)
      return "operation " + op->name + ": success status must be 2xx";
    op->summary = str(od.summary);
    op->read_only = (od.flags & CRM_OP_READ_ONLY) != 0;
    op->flags = od.flags;
    op->rate_class = od.rate_class && *od.rate_class ? od.rate_class : "api";
    if ((op->flags & (CRM_OP_PRINCIPAL | CRM_OP_ON_START)) && !op->roles.is_system_only())
      return "operation " + op->name + ": a principal provider or start-up operation must have role \"system\"";
    op->plugin = &p;
    p.operations.push_back(std::move(op));
  }
  for (size_t i = 0; i < d.n_subscriptions; ++i) {
    auto s = element<crm_subscription_def>(d.subscriptions, d.subscription_size, i);
    if (!s.event_type || !names.count(str(s.operation)))
      return "subscription to '" + str(s.event_type) + "' names an operation the plugin does not declare";
    p.subscriptions.push_back({s.event_type, s.operation});
  }
  for (size_t i = 0; i < d.n_schedules; ++i) {
    auto s = element<crm_schedule_def>(d.schedules, d.schedule_size, i);
    if (!s.every || !names.count(str(s.operation)))
      return "schedule names an operation the plugin does not declare: '" + str(s.operation) + "'";
    p.schedules.push_back({s.every, s.operation});
  }
  if (d.emits) {
    p.declares_emits = true;
    for (size_t i = 0; i < d.n_emits; ++i) {
      if (!d.emits[i] || !valid_event_type(d.emits[i]))
        return "emits[" + std::to_string(i) + "] '" + str(d.emits[i]) + "' is not an event type (<entity>.<verb>)";
      p.emits.insert(d.emits[i]);
    }
  }
  unsigned last = 0;
  for (size_t i = 0; i < d.n_migrations; ++i) {
    auto m = element<crm_migration_def>(d.migrations, d.migration_size, i);
    if (m.version <= last || !m.sql) return "migration versions must be ascending from 1 and have SQL";
    last = m.version;
    p.migrations.push_back({m.version, m.sql});
  }
  return {};
}

bool PluginLoader::load(const std::string& path) {
  std::lock_guard admit(registry_.admit_lock());
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point from) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - from).count());
  };
  const auto started = Clock::now();
  auto plugin = std::make_shared<PluginInstance>();
  plugin->file = Poco::Path(path).getFileName();
  // Before any of its code can run (a library's constructors run at load).
  if (auto untrusted = untrusted_plugin_file(path, Poco::Path(path).parent().toString())) {
    refuse(path, nullptr, "not loaded: " + *untrusted);
    return false;
  }
  plugin->library = std::make_unique<Poco::SharedLibrary>();
  try {
    plugin->library->load(path, Poco::SharedLibrary::SHLIB_LOCAL);
  } catch (const Poco::Exception& e) {
    refuse(path, nullptr, "cannot load library: " + e.displayText());
    return false;
  }
  if (!plugin->library->hasSymbol(CRM_PLUGIN_ENTRY_SYMBOL)) {
    plugin->library->unload();
    refuse(path, nullptr, "no entry symbol " CRM_PLUGIN_ENTRY_SYMBOL " (is it exported with CRM_PLUGIN_EXPORT?)");
    return false;
  }
  auto entry = reinterpret_cast<EntryFn>(plugin->library->getSymbol(CRM_PLUGIN_ENTRY_SYMBOL));
  const crm_plugin_def* raw = entry(CRM_ABI_VERSION);
  if (!raw) {
    plugin->library->unload();
    refuse(path, nullptr, "the plugin declined this host's ABI " + std::to_string(CRM_ABI_MAJOR) + "." +
                              std::to_string(CRM_ABI_MINOR));
    return false;
  }
  std::string error = read_definition(raw, *plugin);
  if (error.empty()) error = registry_.check(*plugin).value_or("");
  if (!error.empty()) {
    plugin->operations.clear();
    plugin->library->unload();
    refuse(path, plugin.get(), error);
    return false;
  }

  std::string own = config_.conninfo_for ? config_.conninfo_for(plugin->name) : std::string();
  plugin->conninfo = own.empty() ? config_.conninfo : own;
  plugin->config_json = config_.config_json ? config_.config_json(plugin->name) : "{}";
  const auto schema_started = Clock::now();
  try {
    if (std::find(prepared_databases_.begin(), prepared_databases_.end(), plugin->conninfo) == prepared_databases_.end()) {
      provisioner_.prepare_platform(plugin->conninfo);
      prepared_databases_.push_back(plugin->conninfo);
    }
    provisioner_.provision(*plugin);
  } catch (const std::exception& e) {
    const std::string reason = std::string("schema set-up failed, nothing applied: ") + e.what();
    refuse(path, plugin.get(), reason);
    if (config_.on_schema_failed) config_.on_schema_failed(plugin->name, reason);
    return false; // the library stays mapped: harmless, and no code of it ever ran
  }

  const std::string schema_ms = ms_since(schema_started);
  const auto init_started = Clock::now();
  storage::PoolConfig pool;
  pool.conninfo = plugin->conninfo;
  pool.password = config_.password;
  pool.setup_sql = SchemaProvisioner::connection_setup(*plugin, config_.statement_timeout_ms);
  pool.max_size = config_.pool_size;
  pool.acquire_timeout = config_.acquire_timeout;
  plugin->pool = std::make_unique<storage::ConnectionPool>(std::move(pool));

  if (plugin->def.init) {
    crm_status st = CRM_E_INTERNAL;
    set_current_plugin(&plugin->name);
    try {
      st = plugin->def.init(host_api(), plugin->config_json.c_str(), &plugin->state);
    } catch (...) {
    }
    set_current_plugin(nullptr);
    if (st != CRM_OK) {
      refuse(path, plugin.get(), "init failed with status " + std::to_string(st));
      return false;
    }
  }
  // How long each part took: a host's start is the sum over its plugins.
  log::info("plugins", "loaded plugin " + plugin->name + " " + plugin->version + " from " + plugin->file + " (" +
                           std::to_string(plugin->operations.size()) + " operations)",
            {{"plugin", plugin->name}, {"ms", ms_since(started)}, {"schema_ms", schema_ms},
             {"init_ms", ms_since(init_started)}});
  const PluginInstance& admitted = *plugin;
  registry_.admit(std::move(plugin));
  if (config_.on_admitted) config_.on_admitted(admitted);
  return true;
}

bool PluginLoader::is_loaded_file(const std::string& file_name) const {
  // Held for the loop: a temporary one would die before the body runs, and an
  // update meanwhile would free what the loop walks.
  const auto snapshot = registry_.snapshot();
  for (const auto& p : snapshot->plugins)
    if (p->file == file_name) return true;
  return false;
}

void PluginLoader::shutdown_all() {
  std::lock_guard admit(registry_.admit_lock());
  // Held for the loop: a temporary one would die before the body runs, and an
  // update meanwhile would free what the loop walks.
  const auto snapshot = registry_.snapshot();
  for (const auto& p : snapshot->plugins) {
    if (!p->def.shutdown) continue;
    set_current_plugin(&p->name);
    p->def.shutdown(p->state);
    set_current_plugin(nullptr);
  }
}

} // namespace crm::plugins
