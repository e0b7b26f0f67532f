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

// A definition checked against what is loaded: valid, with what it is
// ({"valid", "name", "kind", "trigger", "steps"|"states"}), or its errors by
// line. The HTTP layer decides how each is answered.
struct ValidationReply {
  bool valid = true;
  std::string body;                     // valid: the summary
  std::vector<DefinitionError> errors;  // not valid
};

ValidationReply validate_workflow(const std::string& name, const std::string& source,
                                  const plugins::PluginRegistry::Snapshot& platform,
                                  const std::filesystem::path& lib_dir);

} // namespace crm::workflows
