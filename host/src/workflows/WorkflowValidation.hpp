// WorkflowValidation: POST /api/workflows/{name}/validate - the checks of
// check_definition against the platform as it is loaded now (its operations,
// the event types its plugins subscribe to plus the platform's documented
// ones), answered as JSON.
#pragma once

#include "plugins/PluginRegistry.hpp"
#include "workflows/WorkflowDefinition.hpp"

#include <filesystem>
#include <set>
#include <string>

namespace crm::workflows {

// The event types a trigger may name: those the loaded plugins declare they
// emit or subscribe to, and the host's own (workflow.finished).
std::set<std::string> known_event_types(const plugins::PluginRegistry::Snapshot& platform);

// [{line, message}, ...]
void append_errors_json(std::string& out, const std::vector<DefinitionError>& errors);
// problem+json 422 with errors[{line, message}].
std::string errors_problem(const std::string& detail, const std::string& instance,
                           const std::vector<DefinitionError>& errors);

struct ValidationReply {
  int status = 200;  // 200 valid, 422 not
  std::string body;  // {"name", "kind", "trigger", "steps"|"states"} or problem+json with errors[{line, message}]
};

ValidationReply validate_workflow(const std::string& name, const std::string& source,
                                  const plugins::PluginRegistry::Snapshot& platform, const std::string& instance,
                                  const std::filesystem::path& lib_dir);

} // namespace crm::workflows
