// WorkflowDefinition: what a workflow .lua file declares, read in a sandbox
// and checked before anything goes live. The DSL reads like the process:
//
//   return saga "reassignment" {
//     trigger = manual,                      -- or on_event "user.deleted"
//     runs_as = "system",
//     steps = {
//       step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_owner",
//                          retry = { attempts = 3, delay = "1s", backoff = 2, max_delay = "10s",
//                                    on = { "UNAVAILABLE" } } },
//       parallel {                           -- run at once; the saga waits for all
//         step "notify" { call = "analytics.notify" },
//         step "ship" { call = "shipping.create", compensate = "shipping.cancel" },
//       },
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

#include <filesystem>
#include <functional>
#include <map>
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
  // The retry policy: up to `attempts` tries, the n-th wait being delay *
  // backoff^(n-1) capped at max_delay; only failures whose status is in
  // retry_on are tried again (empty: every failure).
  int attempts = 1;
  std::string delay = "0s";
  double backoff = 1;
  std::string max_delay;              // empty: no cap
  std::vector<std::string> retry_on;  // status names as scripts see them: "UNAVAILABLE", ...
  // Where the step is declared: steps[lua_index], or steps[lua_index][branch]
  // for a step of a parallel group (branch 0: not in one).
  int lua_index = 0, branch = 0;
  // A parallel group's steps are consecutive in WorkflowDefinition::steps:
  // `group` is the index of its first step there (-1: the step runs alone)
  // and group_size how many it has.
  int group = -1, group_size = 0;
  // The operation works in batches: each call does a part and answers
  // {"more": true} until done; every batch is its own call (own transaction,
  // own idempotency key), and results[step] sums the numbers of all batches.
  bool batched = false;
};

// A state that waits: `wait { event = "approval.approved" (or a list), key =
// "approvalId" (a variable's name, or function(ctx)), match = "subject" (or
// "data.<field>"), on_event = "next" (or {[type] = state}), timeout = "48h",
// on_timeout = "escalate" }`.
struct WaitSpec {
  int line = 0;
  std::vector<std::string> events;
  std::string key_var;                 // empty: key is a function(ctx)
  std::vector<std::string> match_path; // in the envelope, e.g. {"subject"} or {"data", "approvalId"}
  std::map<std::string, std::string> on_event; // event type -> next state
  long long timeout_seconds = -1;      // -1: none
  std::string on_timeout;
};

// How a saga is started through POST /api/sagas/{name}: `api = { roles =
// "ADMIN,MANAGER", team = {"fromUserId", "toUserId"}, check = function(input,
// caller) ... end, dry_run = function(input) ... end }`. A MANAGER may only
// name itself or its team in the `team` fields; check returns nil or a list
// of {field = ..., message = ...}; dry_run returns what a dry run answers.
// Both may call read operations only.
struct SagaApi {
  bool exposed = false;
  int line = 0;
  std::string roles = "ADMIN";
  std::vector<std::string> team;
  bool check = false, dry_run = false;
};

struct WorkflowDefinition {
  enum class Kind { StateMachine, Saga };
  std::string name;
  Kind kind = Kind::StateMachine;
  std::string trigger_event; // empty: manual
  std::string runs_as = "system";
  std::string start;                // state machine: the first state
  std::vector<std::string> states;  // state machine: state names
  std::map<std::string, WaitSpec> waits; // state machine: the states that wait
  std::vector<SagaStep> steps;      // saga
  SagaApi api;                      // saga
};

struct DefinitionCheck {
  std::vector<DefinitionError> errors; // empty: valid
  WorkflowDefinition definition;       // as far as it could be read
};

// What the validator may ask of the platform.
struct DefinitionContext {
  std::function<bool(const std::string& operation)> operation_exists;
  std::function<bool(const std::string& event_type)> event_type_known;
  std::filesystem::path lib_dir; // workflows/lib for require; empty: no require
};

// Readies a sandbox for definitions: the DSL (saga, workflow, step, on_event,
// manual, wait) and a `require` confined to `lib_dir` (when not empty).
// Returns an error text, empty on success.
std::string install_dsl(LuaSandbox& box, const std::filesystem::path& lib_dir);

// Reads `source` (file name `file`, e.g. "reassignment.lua": the workflow's
// name must match it) and checks its shape, its trigger and the operations it
// names, within one run's limits (the host's unless told): a script that runs
// past them is an error of the definition. Never throws for a bad script.
DefinitionCheck check_definition(const std::string& source, const std::string& file, const DefinitionContext& context,
                                 SandboxLimits limits = SandboxLimits::host());

// "30s", "15m", "48h", "2d" -> seconds; -1 for anything else.
long long parse_duration(const std::string& text);
// The same with "500ms" too, in milliseconds; -1 for anything else.
long long parse_duration_ms(const std::string& text);

// The failure statuses a retry policy's `on` may name (as crm.try_call reports them).
const std::vector<std::string>& failure_status_names();
// Whether the step's policy tries again after a failure with `status`.
bool retries_on(const SagaStep& step, const std::string& status);
// Milliseconds to wait after the step's `failures`-th failed attempt (1 for
// the first), at least 1.
long long retry_delay_ms(const SagaStep& step, int failures);

} // namespace crm::workflows
