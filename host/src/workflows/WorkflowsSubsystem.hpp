// WorkflowsSubsystem: the workflow definitions of the workflows folder
// (checked, versioned, hot reloaded) and the engine running their instances.
#pragma once

#include "metrics/Metrics.hpp"
#include "workflows/WorkflowCatalog.hpp"
#include "workflows/WorkflowEngine.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

namespace crm::workflows {

class WorkflowsSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "workflows"; }
  WorkflowCatalog& catalog() { return *catalog_; }
  WorkflowEngine& engine() { return *engine_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  void register_metrics(metrics::Registry& metrics);

  std::unique_ptr<WorkflowCatalog> catalog_;
  std::unique_ptr<WorkflowEngine> engine_;
};

} // namespace crm::workflows
