// EngineParts: what the files of the workflow engine share and nobody else
// needs: the instance as a worker holds it, a run of Lua and what it asked
// for, a compiled definition, a step's record, and the helpers that read and
// write platform.workflow_instances. Internal to host/src/workflows.
#pragma once

#include "plugins/Invoker.hpp"
#include "storage/ConnectionPool.hpp"
#include "workflows/LuaSandbox.hpp"
#include "workflows/WorkflowDefinition.hpp"
#include "workflows/WorkflowEngine.hpp"
#include "core/DerivedIds.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace crm::workflows {

struct WorkflowEngine::Instance {
  std::string id, name, version, kind, status, state, phase, input, vars, event, error, claimed_at;
  std::string parent_id; // a child: its end is told to the parent as workflow.finished
  std::string started_by; // the user it acts for (REST start, the triggering event's actor); may be empty
  int step = 0, run = 1, attempt = 0, seq = 0;
  int batch = 0; // saga: batches of the current (batched) step done
  bool cancel_requested = false;
  std::vector<std::string> waited_before; // wait_events as claimed
  // Set by a transition into a wait, saved with it.
  std::vector<std::string> wait_events, wait_path;
  std::string wait_key;
  long long wake_in_ms = 0; // -1: no wake-up; 0: now
  bool release = false;     // give the lease back with this save
};

// One step or state run, recorded in workflow_steps.
struct StepRecord {
  std::string name, phase, status, started_at, result, error;
  int attempt = 1;
  double ms = 0;
};

// What a run of Lua asked for besides its result.
struct WorkflowEngine::Run {
  WorkflowEngine* engine = nullptr;
  Instance* instance = nullptr;
  std::string key_base; // idempotency keys: <key_base>:<n>
  int calls = 0;
  bool read_only = false; // a saga's api functions: read operations only, no emit or start
  struct Emit {
    std::string id, type, subject, data;
  };
  std::vector<Emit> emits;
  struct Child {
    std::string id, name, input;
  };
  std::vector<Child> children;
};

// A definition version compiled in one worker's sandbox.
struct WorkflowEngine::Compiled {
  explicit Compiled(SandboxLimits limits) : box(limits) {}
  LuaSandbox box;
  WorkflowDefinition def;
  int def_ref = LUA_NOREF;
  Run* run = nullptr; // the run in progress, for the crm.* functions
  bool broken = false; // a run hit the memory cap: build a fresh state next time
  // After a run that ended this way, the state is built afresh for the next.
  void note(const LuaSandbox::Outcome& o) {
    if (o.stop == LuaSandbox::Stop::Memory || box.broken()) broken = true;
  }
};

struct WorkflowEngine::Worker {
  std::thread thread;
  std::map<std::string, std::unique_ptr<Compiled>> compiled; // version -> sandbox
};

namespace engine {

using Clock = std::chrono::steady_clock;

// {"a","b"} for a text[] parameter, and PostgreSQL's text form back.
std::string pg_array(const std::vector<std::string>& items);
std::vector<std::string> parse_pg_array(std::string_view text);
std::string now_rfc3339();
double ms_since(Clock::time_point started);
// {"<where_key>": "<where>", "message": "..."}
std::string error_json(const std::string& where_key, const std::string& where, const std::string& message);
// A name-based UUID: the same instance, transition and number always give
// the same id, so an event or child emitted twice after a crash is one row.
using core::derived_uuid;
// The columns claim() reads, on alias i.
extern const char* const kInstanceColumns;

struct SaveResult {
  bool held = false;             // false: the lease is lost, someone else has the instance
  bool cancel_requested = false;
  std::string event;             // a wait that found its event in the mailbox: it is RUNNING again
};
// Saves the instance (with a step record, and what a run emitted or started)
// while this host holds its lease. A transition into a wait looks in the
// mailbox first. Throws PgError.
SaveResult save(storage::ConnectionPool& pool, const EngineConfig& config, WorkflowEngine::Instance& inst,
                const StepRecord* rec, const WorkflowEngine::Run* run);

// The crm table (call, emit, start, now, iso, log) in a compiled definition's
// sandbox. Throws std::runtime_error when the state cannot take it.
void install_crm_api(WorkflowEngine::Compiled& c);
// Runs the definition's source in c's sandbox and keeps what it returns as
// c.def_ref. Throws std::runtime_error with the script's error.
void load_definition(WorkflowEngine::Compiled& c, const std::string& source, const std::string& chunk_name);
// Runs an operation for a workflow, with the run's next idempotency key.
plugins::Outcome call_operation(WorkflowEngine::Run& run, const std::string& op_name, const std::string& input);
// Pushes ctx {instance, input, <data_key>, event} for a Lua function; inside
// LuaSandbox::protect, as the input may be more than the state can hold.
void push_context(lua_State* L, const WorkflowEngine::Instance& inst, const std::string& input, const char* data_key,
                  const std::string& data);
// The saga's vars with results[step] = reply; throws std::runtime_error when
// they do not fit in the sandbox.
std::string with_result(LuaSandbox& box, const std::string& vars, const std::string& step, const std::string& reply);
// "op: message; field: message" for a failed call.
std::string failure_text(const std::string& op_name, const plugins::Outcome& outcome);
// A failed call's status as scripts see it: "INVALID", "NOT_FOUND", "CONFLICT", ...
const char* status_name(crm_status status);

// The input of `step` (or of its compensation), from the saga's data: its
// input function's answer (ctx.input, ctx.results, and ctx.failure while
// compensating), its input table, the saga's input going forward, or what the
// step answered when undoing it. Sets `failure` instead when the script fails.
std::string step_input(WorkflowEngine::Compiled& c, const WorkflowEngine::Instance& inst, const SagaStep& step,
                       bool forward, std::string& failure);

// What the saga keeps in its vars besides results (SagaData.cpp), so that it
// survives a restart:
// - "parallel": the parallel group under way, {group, done: [names], attempts:
//   {name: failures}, failed}; while undoing, only its steps in `done` are undone.
// - "failure": why the saga compensates, {step, status, message}: ctx.failure.
struct GroupProgress {
  int group = -1; // index of the group's first step; -1: no group under way
  std::set<std::string> done;
  std::map<std::string, int> attempts;
  std::string failed; // the step that failed for good: the group is being given up
};
GroupProgress group_progress(const std::string& vars);
// vars with "parallel" set to `progress` (removed when progress.group < 0).
std::string with_group_progress(const std::string& vars, const GroupProgress& progress);
std::string with_failure(const std::string& vars, const std::string& step, const std::string& status,
                         const std::string& message);

} // namespace engine
} // namespace crm::workflows
