// CacheSubsystem: the connection to Redis and what is built on it: shared
// counters (rate limits, login lockouts) and the plugins' cache.
// Redis being down never stops the host: counters fall back to this process.
#pragma once

#include "cache/PluginCache.hpp"
#include "cache/RedisPool.hpp"
#include "cache/SharedCounters.hpp"
#include "metrics/Metrics.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

namespace crm::cache {

class CacheSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "cache"; }
  RedisPool& redis() { return *redis_; }
  SharedCounters& counters() { return *counters_; }
  PluginCache& plugin_cache() { return *plugin_cache_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  void register_metrics(metrics::Registry& metrics);

  std::unique_ptr<RedisPool> redis_;
  std::unique_ptr<SharedCounters> counters_;
  std::unique_ptr<PluginCache> plugin_cache_;
};

} // namespace crm::cache
