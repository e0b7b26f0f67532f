// SagaSteps: how a saga's `steps = { ... }` is read and checked: steps, and
// parallel groups of steps, each with its retry policy. Internal to
// WorkflowDefinition.
#pragma once

#include "workflows/WorkflowDefinition.hpp"

#include <lua.hpp>

#include <vector>

namespace crm::workflows {

// Reads the steps table at the top of the stack into d.steps (a parallel
// group's steps one after another, marked with their group), adding an error
// with its line for each thing wrong. Leaves the stack as it found it.
void read_saga_steps(lua_State* L, int decl_line, WorkflowDefinition& d, const DefinitionContext& ctx,
                     std::vector<DefinitionError>& errors);

} // namespace crm::workflows
