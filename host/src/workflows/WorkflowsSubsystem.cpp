// WorkflowsSubsystem: see the header.
#include "workflows/WorkflowsSubsystem.hpp"

#include "plugins/PluginSubsystem.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Path.h>
#include <Poco/Util/Application.h>

namespace crm::workflows {

void WorkflowsSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  auto& plugins = app.getSubsystem<plugins::PluginSubsystem>();
  const std::string dir = Poco::Path(config.getString("workflows.dir", "workflows")).absolute().toString();
  catalog_ = std::make_unique<WorkflowCatalog>(dir, plugins.registry(), storage.platform_pool());
  catalog_->scan();
  const int interval = config.getInt("workflows.watch_interval_ms", 1000);
  if (interval > 0) catalog_->start(std::chrono::milliseconds(interval));
}

void WorkflowsSubsystem::uninitialize() { catalog_.reset(); }

} // namespace crm::workflows
