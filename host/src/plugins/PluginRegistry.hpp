// PluginRegistry: the plugins the host runs and the ones it refused, and the
// routing table built from their operations and the host's own (the built-in
// `platform` part: workflows, dead letters, rebuilds, health, ...), so every
// REST call takes the same path through the router and the invoker. Readers (every request) take an
// immutable snapshot without locking; admitting a plugin builds a new snapshot
// and swaps it in, so requests in flight are never disturbed.
#pragma once

#include "core/Router.hpp"
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
    core::Router<const Operation*> routes;
    // The plugins' operations, by name: what events, workflows and other
    // plugins may call. The platform's are reached through routes only.
    std::unordered_map<std::string, const Operation*> operations;
    std::vector<std::shared_ptr<PluginInstance>> plugins;
    std::shared_ptr<PluginInstance> platform; // the host's own operations; null until registered
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
  // Publishes the host's own operations (once, at start); an error text when
  // a route clashes with a plugin's.
  std::optional<std::string> admit_platform(std::shared_ptr<PluginInstance> platform);

  // Serializes loaders (start-up and the folder watcher).
  std::mutex& admit_lock() { return admit_mutex_; }

private:
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::mutex admit_mutex_;
};

} // namespace crm::plugins
