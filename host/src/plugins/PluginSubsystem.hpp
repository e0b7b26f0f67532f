// PluginSubsystem: the plugin folder, the registry of what runs, the invoker
// that runs it, and the watcher that picks up plugins dropped in later.
#pragma once

#include "plugins/Invoker.hpp"
#include "plugins/PluginLoader.hpp"
#include "plugins/PluginRegistry.hpp"
#include "plugins/PluginWatcher.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

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
  PluginRegistry registry_;
  Invoker invoker_{registry_};
  std::unique_ptr<PluginLoader> loader_;
  std::unique_ptr<PluginWatcher> watcher_;
};

} // namespace crm::plugins
