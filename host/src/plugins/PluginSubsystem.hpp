// PluginSubsystem: the plugin folder, the registry of what runs, the invoker
// that runs it, and the watcher that picks up plugins dropped in later.
//
// The plugins in the folder at start must come up whole: when one of their
// start-up operations (CRM_OP_ON_START, e.g. creating the first admin) fails,
// or their schema or migrations cannot be set up, initialize() throws
// StartupFailed and the host does not start. A plugin dropped in later that
// fails the same way is refused or logged, and the host keeps serving.
#pragma once

#include "plugins/Invoker.hpp"
#include "plugins/PluginLoader.hpp"
#include "plugins/PluginRegistry.hpp"
#include "plugins/PluginWatcher.hpp"
#include "plugins/Scheduler.hpp"
#include "security/PrincipalCache.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace crm::plugins {

// The plugins present at start could not all be set up; what() says why,
// one reason per plugin, joined by "; ".
class StartupFailed : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class PluginSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "plugins"; }

  PluginRegistry& registry() { return registry_; }
  Invoker& invoker() { return invoker_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  void on_admitted(const PluginInstance& plugin);
  void use_principal_provider(const Operation& op);

  PluginRegistry registry_;
  Invoker invoker_{registry_};
  std::unique_ptr<PluginLoader> loader_;
  std::unique_ptr<PluginWatcher> watcher_;
  std::unique_ptr<Scheduler> scheduler_;
  security::PrincipalCache* principals_ = nullptr;
  // While the folder's first contents load (on the initializing thread):
  // what failed, reported by initialize() as StartupFailed.
  bool starting_ = false;
  std::vector<std::string> start_failures_;
};

} // namespace crm::plugins
