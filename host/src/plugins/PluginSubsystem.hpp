// PluginSubsystem: the plugin folder, the registry of what runs, the invoker
// that runs it, and the watcher that picks up plugins dropped in later.
#pragma once

#include "plugins/Invoker.hpp"
#include "plugins/PluginLoader.hpp"
#include "plugins/PluginRegistry.hpp"
#include "plugins/PluginWatcher.hpp"
#include "plugins/Scheduler.hpp"
#include "security/PrincipalCache.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>
#include <string>

namespace crm::plugins {

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
  std::string start_input_; // {"admin": {...}} for CRM_OP_ON_START operations
};

} // namespace crm::plugins
