// WorkflowDefinition: what a workflow .lua file declares, read in a sandbox
// and checked before anything goes live. The DSL reads like the process:
//
//   return saga "reassignment" {
//     trigger = manual,                      -- or on_event "user.deleted"
//     runs_as = "system",
//     steps = {
//       step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_owner",
//                          retry = { attempts = 3, delay = "1s" } },
//     },
//   }
//
//   return workflow "deal_approval" {
//     trigger = on_event "approval.requested",
//     start = "route",
//     states = { route = function(ctx) ... end, ... },
//   }
//
// Errors carry the line of the declaration they concern (a step's line is the
// line of its `step "..."`), so `validate` can answer like a compiler.
#pragma once

#include "workflows/LuaSandbox.hpp"

#include <functional>
#include <string>
#include <vector>

namespace crm::workflows {

struct DefinitionError {
  int line = 0; // 0: the file as a whole
  std::string message;
};

struct SagaStep {
  std::string name;
  int line = 0;
  std::string call;       // operation
  std::string compensate; // operation, empty: nothing to undo
  int attempts = 1;
  std::string delay = "0s";
};

struct WorkflowDefinition {
  enum class Kind { StateMachine, Saga };
  std::string name;
  Kind kind = Kind::StateMachine;
  std::string trigger_event; // empty: manual
  std::string runs_as = "system";
  std::string start;                // state machine: the first state
  std::vector<std::string> states;  // state machine: state names
  std::vector<SagaStep> steps;      // saga
};

struct DefinitionCheck {
  std::vector<DefinitionError> errors; // empty: valid
  WorkflowDefinition definition;       // as far as it could be read
};

// What the validator may ask of the platform.
struct DefinitionContext {
  std::function<bool(const std::string& operation)> operation_exists;
  std::function<bool(const std::string& event_type)> event_type_known;
};

// Reads `source` (file name `file`, e.g. "reassignment.lua": the workflow's
// name must match it) and checks its shape, its trigger and the operations it
// names. Never throws for a bad script.
DefinitionCheck check_definition(const std::string& source, const std::string& file, const DefinitionContext& context,
                                 SandboxLimits limits = {});

// "30s", "15m", "48h", "2d" -> seconds; -1 for anything else.
long long parse_duration(const std::string& text);

} // namespace crm::workflows
