// PluginSubsystem: see the header.
#include "plugins/PluginSubsystem.hpp"

#include "cache/CacheSubsystem.hpp"
#include "core/JsonText.hpp"
#include "log/Log.hpp"
#include "security/SecuritySubsystem.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Environment.h>

#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/Util/Application.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <thread>

namespace crm::plugins {

namespace {

// Settings named before ABI 1.4, when the host handed the first admin to any
// plugin's start-up operation: now they belong to one plugin's configuration.
// A non-empty old key wins (deployments set it as CRM_ADMIN_EMAIL/PASSWORD).
struct LegacyKey {
  const char* old_key;
  const char* plugin;
  const char* key; // under plugin.<plugin>.
};
constexpr LegacyKey kLegacyKeys[] = {{"admin.email", "auth", "admin.email"},
                                     {"admin.password", "auth", "admin.password"}};

// The keys under `prefix`: a key with a value as a string, a key with
// sub-keys as an object (a key with both keeps its value).
Poco::JSON::Object::Ptr config_object(const Poco::Util::AbstractConfiguration& config, const std::string& prefix) {
  Poco::JSON::Object::Ptr out = new Poco::JSON::Object;
  // has(prefix) is false for a prefix that holds only sub-keys: ask keys() directly.
  Poco::Util::AbstractConfiguration::Keys keys;
  config.keys(prefix, keys);
  for (const auto& k : keys) {
    const std::string key = prefix + "." + k;
    if (config.hasProperty(key)) out->set(k, config.getString(key, ""));
    else out->set(k, config_object(config, key));
  }
  return out;
}

// plugin.<name>.<key> = value -> {"key": "value", ...}, plugin.<name>.a.b ->
// {"a": {"b": ...}}; plugin.<name>.db.* is the host's, not the plugin's.
std::string plugin_config_json(const Poco::Util::AbstractConfiguration& config, const std::string& plugin) {
  Poco::JSON::Object::Ptr object = config_object(config, "plugin." + plugin);
  object->remove("db");
  for (const auto& legacy : kLegacyKeys) {
    const std::string value = config.getString(legacy.old_key, "");
    if (legacy.plugin != plugin || value.empty()) continue;
    const std::string key = legacy.key;
    const size_t dot = key.find('.');
    const std::string group = key.substr(0, dot);
    Poco::JSON::Object::Ptr inner = object->getObject(group);
    if (!inner) {
      inner = new Poco::JSON::Object;
      object->set(group, inner);
    }
    inner->set(key.substr(dot + 1), value);
  }
  std::ostringstream out;
  object->stringify(out);
  return out.str();
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
  auto& security = app.getSubsystem<security::SecuritySubsystem>();
  auto& cache = app.getSubsystem<cache::CacheSubsystem>();
  principals_ = &security.principals();
  PlatformServices ps;
  ps.tokens = &security.tokens();
  ps.revocations = &security.revocations();
  ps.audit = &security.audit();
  ps.principals = &security.principals();
  ps.counters = &cache.counters();
  ps.cache = &cache.plugin_cache();
  ps.access_ttl_seconds = security.access_ttl_seconds();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  ps.notifier = &storage.notifier();
  invoker_.set_platform(ps);

  LoaderConfig lc;
  lc.conninfo = storage.conninfo();
  lc.password = storage.password();
  lc.role_prefix = config.getString("db.role_prefix", "crm_plugin_");
  lc.pool_size = pool_size(config.getInt("db.pool_size", 0));
  lc.acquire_timeout = std::chrono::milliseconds(config.getInt("db.acquire_timeout", 5) * 1000);
  lc.statement_timeout_ms = config.getInt("db.statement_timeout_ms", 30000);
  lc.config_json = [&config](const std::string& plugin) { return plugin_config_json(config, plugin); };
  lc.conninfo_for = [&config](const std::string& plugin) { return config.getString("plugin." + plugin + ".db.dsn", ""); };
  lc.on_admitted = [this](const PluginInstance& plugin) { on_admitted(plugin); };
  lc.on_schema_failed = [this](const std::string& plugin, const std::string& reason) {
    if (starting_) start_failures_.push_back("plugin " + plugin + ": " + reason);
  };
  loader_ = std::make_unique<PluginLoader>(registry_, std::move(lc));

  std::string dir = Poco::Path(config.getString("plugins.dir", "plugins")).absolute().toString();
  watcher_ = std::make_unique<PluginWatcher>(*loader_, dir, config.getInt("plugins.watch_interval_ms", 1000));
  starting_ = true;
  watcher_->load_initial();
  starting_ = false;
  if (!start_failures_.empty()) {
    std::string why;
    for (const auto& failure : start_failures_) why += (why.empty() ? "" : "; ") + failure;
    loader_->shutdown_all(); // the plugins that did come up ran init: let them end
    throw StartupFailed(why);
  }
  watcher_->start();

  // Schedules: the claimer's name is only for the record (last_host).
  scheduler_ = std::make_unique<Scheduler>(registry_, invoker_, storage.platform_pool(),
                                           Poco::Environment::nodeName() + ":" +
                                               std::to_string(config.getInt("http.port", 8080)));
  if (config.getBool("schedules.enabled", true)) scheduler_->start();
}

void PluginSubsystem::on_admitted(const PluginInstance& plugin) {
  for (const auto& op : plugin.operations) {
    if (op->flags & CRM_OP_PRINCIPAL) use_principal_provider(*op);
    if (!(op->flags & CRM_OP_ON_START)) continue;
    // Its own configuration only: what other plugins or the host are
    // configured with is none of its business.
    Invocation inv;
    inv.op = op.get();
    inv.input = plugin.config_json;
    inv.principal = &security::Principal::system_caller();
    inv.request_id = "start";
    Outcome o = invoker_.invoke(inv);
    if (o.status == CRM_OK) continue;
    std::string why = o.message;
    for (const auto& e : o.errors) why += "; " + e.field + " " + e.message;
    log::error("plugins", "start-up operation " + op->name + " failed: " + why, {{"plugin", plugin.name}});
    if (starting_)
      start_failures_.push_back("plugin " + plugin.name + ": start-up operation " + op->name + " failed: " + why);
  }
}

// The principal provider answers, per user, what record rules need (the team)
// and whether the user may still act ("active"). Its answers are cached.
void PluginSubsystem::use_principal_provider(const Operation& op) {
  const Operation* provider = &op;
  log::info("plugins", "principals are resolved by " + op.name, {{"plugin", op.plugin->name}});
  principals_->set_fetch([this, provider](const std::string& id, const std::string& role) {
    using security::PrincipalCache;
    std::string input = "{\"id\":";
    core::append_json_string(input, id);
    input += ",\"role\":";
    core::append_json_string(input, role);
    input += '}';
    Invocation inv;
    inv.op = provider;
    inv.input = input;
    inv.principal = &security::Principal::system_caller();
    Outcome o = invoker_.invoke(inv);
    PrincipalCache::Lookup answer;
    if (o.status == CRM_E_NOT_FOUND) {
      answer.verdict = PrincipalCache::Verdict::Unknown;
      return answer;
    }
    if (o.status != CRM_OK) return answer; // Unavailable
    try {
      Poco::JSON::Parser parser;
      auto object = parser.parse(o.body).extract<Poco::JSON::Object::Ptr>();
      if (object->has("active") && !object->getValue<bool>("active")) {
        answer.verdict = PrincipalCache::Verdict::Unknown;
        return answer;
      }
      // The members without the braces, to be spliced into the principal.
      size_t open = o.body.find('{'), close = o.body.rfind('}');
      answer.members = o.body.substr(open + 1, close - open - 1);
      while (!answer.members.empty() && std::isspace(static_cast<unsigned char>(answer.members.back())))
        answer.members.pop_back();
      answer.verdict = PrincipalCache::Verdict::Known;
    } catch (const std::exception& e) {
      log::error("plugins", provider->name + " replied something that is not an object: " + e.what(), {});
    }
    return answer;
  });
}

void PluginSubsystem::uninitialize() {
  scheduler_.reset();
  if (watcher_) watcher_->stop();
  if (loader_) loader_->shutdown_all();
}

} // namespace crm::plugins
