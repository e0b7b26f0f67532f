// WorkflowsSubsystem: the workflow definitions of the workflows folder
// (checked, versioned, hot reloaded). Instances and their engine are not
// built yet.
#pragma once

#include "workflows/WorkflowCatalog.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

namespace crm::workflows {

class WorkflowsSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "workflows"; }
  WorkflowCatalog& catalog() { return *catalog_; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  std::unique_ptr<WorkflowCatalog> catalog_;
};

} // namespace crm::workflows
