// WorkflowValidation: see the header.
#include "workflows/WorkflowValidation.hpp"

#include "core/JsonText.hpp"
#include "workflows/WorkflowDefinition.hpp"

#include <set>

namespace crm::workflows {

namespace {

// The event types the host itself emits: a child workflow's end, told to its parent.
const char* const kHostEventTypes[] = {"workflow.finished"};

} // namespace

// What the loaded plugins declare they emit (crm_plugin_def.emits) and what
// they subscribe to (a subscription names a type some plugin emits, even one
// too old to declare it), plus the host's own.
std::set<std::string> known_event_types(const plugins::PluginRegistry::Snapshot& platform) {
  std::set<std::string> events(std::begin(kHostEventTypes), std::end(kHostEventTypes));
  for (const auto& plugin : platform.plugins) {
    events.insert(plugin->emits.begin(), plugin->emits.end());
    for (const auto& s : plugin->subscriptions) events.insert(s.event_type);
  }
  return events;
}

void append_errors_json(std::string& out, const std::vector<DefinitionError>& errors) {
  out += '[';
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i) out += ',';
    out += "{\"line\":" + std::to_string(errors[i].line) + ",\"message\":";
    core::append_json_string(out, errors[i].message);
    out += '}';
  }
  out += ']';
}

ValidationReply validate_workflow(const std::string& name, const std::string& source,
                                  const plugins::PluginRegistry::Snapshot& platform,
                                  const std::filesystem::path& lib_dir) {
  const std::set<std::string> events = known_event_types(platform);
  DefinitionContext context{
      [&platform](const std::string& op) { return platform.operations.count(op) > 0; },
      [&events](const std::string& type) { return events.count(type) > 0; }, lib_dir};
  auto check = check_definition(source, name + ".lua", context);

  ValidationReply reply;
  if (!check.errors.empty()) {
    reply.valid = false;
    reply.errors = std::move(check.errors);
    return reply;
  }
  const WorkflowDefinition& d = check.definition;
  std::string& out = reply.body;
  out = "{\"valid\":true,\"name\":";
  core::append_json_string(out, d.name);
  out += d.kind == WorkflowDefinition::Kind::Saga ? ",\"kind\":\"saga\"" : ",\"kind\":\"state_machine\"";
  out += ",\"trigger\":";
  if (d.trigger_event.empty()) out += "\"manual\"";
  else core::append_json_string(out, d.trigger_event);
  if (d.kind == WorkflowDefinition::Kind::Saga) {
    out += ",\"steps\":[";
    for (size_t i = 0; i < d.steps.size(); ++i) {
      if (i) out += ',';
      out += "{\"name\":";
      core::append_json_string(out, d.steps[i].name);
      out += ",\"call\":";
      core::append_json_string(out, d.steps[i].call);
      out += ",\"compensate\":";
      if (d.steps[i].compensate.empty()) out += "null";
      else core::append_json_string(out, d.steps[i].compensate);
      out += ",\"attempts\":" + std::to_string(d.steps[i].attempts);
      // The steps of one parallel group share its number: the index of its first step.
      if (d.steps[i].group >= 0) out += ",\"parallel\":" + std::to_string(d.steps[i].group);
      out += '}';
    }
    out += ']';
  } else {
    out += ",\"start\":";
    core::append_json_string(out, d.start);
    out += ",\"states\":[";
    for (size_t i = 0; i < d.states.size(); ++i) {
      if (i) out += ',';
      core::append_json_string(out, d.states[i]);
    }
    out += ']';
  }
  out += '}';
  return reply;
}

} // namespace crm::workflows
