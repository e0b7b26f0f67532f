// PluginRegistry: the plugins the host runs and the ones it refused, and the
// routing table built from their operations. Readers (every request) take an
// immutable snapshot without locking; admitting a plugin builds a new snapshot
// and swaps it in, so requests in flight are never disturbed.
#pragma once

#include "http/Router.hpp"
#include "plugins/Operation.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace crm::plugins {

struct RefusedPlugin {
  std::string file;
  std::string name; // empty when the plugin never said
  std::string version;
  uint32_t abi = 0;
  std::string error;
};

class PluginRegistry {
public:
  struct Snapshot {
    http::Router<const Operation*> routes;
    std::unordered_map<std::string, const Operation*> operations;
    std::vector<std::shared_ptr<PluginInstance>> plugins;
    std::vector<RefusedPlugin> refused;
  };

  PluginRegistry();

  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(std::memory_order_acquire); }
  const Operation* find_operation(const std::string& name) const;

  // Checks a candidate against what is loaded (name, operation names, routes);
  // returns an error text or nullopt. Call with admit_lock() held.
  std::optional<std::string> check(const PluginInstance& candidate) const;
  // Publishes a plugin that passed check() and is fully initialized.
  void admit(std::shared_ptr<PluginInstance> plugin);
  void refuse(RefusedPlugin refused);

  // Serializes loaders (start-up and the folder watcher).
  std::mutex& admit_lock() { return admit_mutex_; }

private:
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::mutex admit_mutex_;
};

} // namespace crm::plugins
