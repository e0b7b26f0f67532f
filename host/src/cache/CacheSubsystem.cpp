// CacheSubsystem: see the header.
#include "cache/CacheSubsystem.hpp"

#include "log/Log.hpp"
#include "metrics/MetricsSubsystem.hpp"

#include <Poco/Util/Application.h>

#include <algorithm>
#include <libpq-fe.h>

namespace crm::cache {

namespace {

// "crm:<database>:" - one platform is one database, so hosts of the same
// platform share keys and other platforms on the same Redis do not.
std::string default_prefix(const std::string& dsn) {
  std::string db = "crm";
  if (PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), nullptr)) {
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (std::string_view(o->keyword) == "dbname" && o->val && *o->val) db = o->val;
    PQconninfoFree(opts);
  }
  return "crm:" + db + ":";
}

} // namespace

void CacheSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  RedisConfig rc;
  rc.host = config.getString("redis.host", "127.0.0.1");
  rc.port = config.getInt("redis.port", 6379);
  rc.user = config.getString("redis.user", "");
  rc.password = config.getString("redis.password", "");
  rc.timeout = std::chrono::milliseconds(config.getInt("redis.timeout_ms", 250));
  rc.tls = config.getBool("redis.tls", false);
  rc.tls_ca_file = config.getString("redis.tls_ca_file", "");
  rc.tls_cert_file = config.getString("redis.tls_cert_file", "");
  rc.tls_key_file = config.getString("redis.tls_key_file", "");
  redis_ = std::make_unique<RedisPool>(rc);
  std::string prefix = config.getString("redis.prefix", "");
  if (prefix.empty()) prefix = default_prefix(config.getString("db.dsn", ""));
  counters_ = std::make_unique<SharedCounters>(*redis_, prefix);
  plugin_cache_ = std::make_unique<PluginCache>(
      *redis_, prefix, static_cast<unsigned>(std::max(1, config.getInt("cache.default_ttl_seconds", 300))),
      static_cast<unsigned>(std::max(1, config.getInt("cache.max_ttl_seconds", 3600))));
  if (!redis_->ping())
    log::warn("cache", "redis does not answer at start; the host runs without it until it does",
              {{"redis", rc.host + ":" + std::to_string(rc.port)}});
  register_metrics(app.getSubsystem<metrics::MetricsSubsystem>().registry());
}

void CacheSubsystem::register_metrics(metrics::Registry& metrics) {
  metrics.add_gauge_callback("crm_cache_requests", "Cache reads by plugin and result (hit, miss, unavailable).",
                              [&cache = *plugin_cache_] {
                                std::vector<std::pair<metrics::Labels, double>> out;
                                for (const auto& [plugin, s] : cache.stats()) {
                                  out.push_back({{{"plugin", plugin}, {"result", "hit"}}, double(s.hits)});
                                  out.push_back({{{"plugin", plugin}, {"result", "miss"}}, double(s.misses)});
                                  out.push_back({{{"plugin", plugin}, {"result", "unavailable"}}, double(s.unavailable)});
                                }
                                return out;
                              });
}

void CacheSubsystem::uninitialize() {
  plugin_cache_.reset();
  counters_.reset();
  redis_.reset();
}

} // namespace crm::cache
