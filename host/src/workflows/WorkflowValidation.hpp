// WorkflowValidation: POST /api/workflows/{name}/validate - the checks of
// check_definition against the platform as it is loaded now (its operations,
// the event types its plugins subscribe to plus the platform's documented
// ones), answered as JSON.
#pragma once

#include "plugins/PluginRegistry.hpp"

#include <set>
#include <string>

namespace crm::workflows {

// The event types a trigger may name: those DESIGN.md lists and those the
// loaded plugins subscribe to.
std::set<std::string> known_event_types(const plugins::PluginRegistry::Snapshot& platform);

struct ValidationReply {
  int status = 200;  // 200 valid, 422 not
  std::string body;  // {"name", "kind", "trigger", "steps"|"states"} or problem+json with errors[{line, message}]
};

ValidationReply validate_workflow(const std::string& name, const std::string& source,
                                  const plugins::PluginRegistry::Snapshot& platform, const std::string& instance);

} // namespace crm::workflows
