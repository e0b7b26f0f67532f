// WorkflowEngine: runs workflow instances, durably. An instance is a row of
// platform.workflow_instances; any host may work on it while it holds its
// lease, so a host that dies (even by SIGKILL) leaves nothing stuck: its
// instances are taken up again when it restarts (same host id) or when the
// lease runs out (any host).
//
// - Sagas run their steps in order through the invoker, each call with an
//   idempotency key (instance, run, phase, step), so a step repeated after a
//   crash returns its first reply and has no second effect. A failing step is
//   retried by its policy; when it finally fails, the completed steps are
//   compensated in reverse and the instance ends COMPENSATED (FAILED when a
//   compensation fails: retry resumes the compensation). Cancel compensates.
//   A parallel group's steps are called at once, each on its own thread with
//   its own key and record; the saga goes on when all completed.
// - State machines run a state's function, then move to the state it returns
//   (nil: COMPLETED). A wait state parks the instance (WAITING) until an event
//   of its types whose subject (or data field) equals its key arrives, or its
//   timeout passes. Calls made in a state carry keys too (instance, transition,
//   call number): a state run again after a crash repeats none of them.
// - A definition runs on the version the instance started with, read back from
//   platform.workflow_definitions.
// - Triggers: one durable consumer per event-triggered workflow starts an
//   instance per event (unique per workflow and event id). One consumer for
//   the events waits name ends waits.
#pragma once

#include "events/EventConsumers.hpp"
#include "metrics/Metrics.hpp"
#include "plugins/Invoker.hpp"
#include "plugins/PluginRegistry.hpp"
#include "storage/ConnectionPool.hpp"
#include "storage/PgListener.hpp"
#include "storage/PgNotifier.hpp"
#include "security/Principal.hpp"
#include "workflows/LuaSandbox.hpp"
#include "workflows/WorkflowCatalog.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::workflows {

struct EngineConfig {
  std::string host_id;     // lease owner; a restarted host with the same id takes its instances back at once
  int workers = 4;
  int lease_seconds = 30;  // another host takes over an instance whose lease ran out
  int poll_ms = 500;       // due timers and retries are looked for this often
  int claim_batch = 16;
  SandboxLimits limits;
  std::filesystem::path lib_dir;
  std::string conninfo, password; // for LISTEN crm_workflow
  // Sends crm_workflow and crm_outbox after the engine's commits (null:
  // NOTIFY inside them, as a host assembled for a test does).
  storage::PgNotifier* notifier = nullptr;
};

// What a request to the engine came to, in the engine's words; the HTTP
// layer maps each to its status (see WorkflowRoutes).
enum class EngineResult {
  Done,        // answered; body holds the answer
  Created,     // something new exists; body describes it
  Accepted,    // the work is under way (an instance started or told to stop)
  Invalid,     // the input breaks a rule; errors name the fields
  Forbidden,   // the caller may not do this
  NotFound,    // no such workflow or instance, or it is not offered
  Conflict,    // it exists but is in the wrong state (retired, finished)
  Unavailable, // a dependency is down, or the script failed; try again
};

// What an endpoint answers.
struct EngineReply {
  EngineResult result = EngineResult::Done;
  std::string body;    // JSON on success
  std::string message; // problem detail otherwise
  std::vector<std::pair<std::string, std::string>> errors; // field, message
};

struct StepRecord;

class WorkflowEngine {
public:
  WorkflowEngine(EngineConfig config, WorkflowCatalog& catalog, plugins::PluginRegistry& registry,
                 plugins::Invoker& invoker, storage::ConnectionPool& pool);
  ~WorkflowEngine(); // stops the workers; instances in hand stay leased to this host id

  // Starts the workers and the notification listener; with `consumers`, the
  // trigger and wait consumers too (kept in sync with the catalog).
  void start(events::EventConsumers* consumers, std::string subject_prefix);

  // POST /api/workflows/{name}/instances with {input} by user `started_by`: 201 {id, ...}.
  EngineReply start_manual(const std::string& name, const std::string& body, const std::string& started_by);
  // GET /api/workflow-instances?name=&status=&limit=&cursor=
  EngineReply list(const std::string& name, const std::string& status, const std::string& limit,
                   const std::string& cursor);
  // GET /api/workflow-instances/{id}
  EngineReply detail(const std::string& id);
  // POST /api/workflow-instances/{id}/retry and /cancel
  EngineReply retry(const std::string& id);
  EngineReply cancel(const std::string& id);
  // POST /api/sagas/{name} by `caller` with the saga's input and dryRun?: the
  // saga's api block decides who may, checks the input, and answers a dry
  // run; otherwise 202 {workflowInstanceId} (SagaApi.cpp).
  EngineReply start_saga(const std::string& name, const std::string& body, const security::Principal& caller);

  // For /metrics.
  std::vector<std::pair<metrics::Labels, double>> instance_counts();
  // RUNNING instances that should have been worked on for over a minute and
  // are held by no live lease (for the stuck-instances alert), by workflow.
  std::vector<std::pair<metrics::Labels, double>> overdue_counts();
  std::vector<std::pair<metrics::Labels, double>> step_latency();
  std::vector<std::pair<metrics::Labels, double>> steps_run();

  // For the crm.* functions of running scripts.
  plugins::PluginRegistry& registry_ref() { return registry_; }
  plugins::Invoker& invoker_ref() { return invoker_; }

  struct Instance;
  struct Compiled;
  struct Run;

private:
  struct Worker;
  void work(Worker& w);
  std::vector<Instance> claim(int limit);
  void advance(Worker& w, Instance& inst);
  bool advance_saga(Worker& w, Compiled& c, Instance& inst);
  bool advance_state_machine(Worker& w, Compiled& c, Instance& inst);

  // What is left after one phase of advancing an instance: go on with it,
  // stop (it is saved: finished, parked or waiting for a retry), or stop
  // because another host holds its lease now.
  enum class Flow { Continue, Stop, LeaseLost };
  // The phases of a saga (SagaRun.cpp): its end when it has one, one attempt
  // of the current step, and what follows a step that succeeded or failed.
  std::optional<Flow> saga_end(Compiled& c, Instance& inst);
  Flow saga_attempt(Compiled& c, Instance& inst);
  Flow saga_step_done(Compiled& c, Instance& inst, StepRecord& rec, const std::string& reply, std::string vars);
  Flow saga_step_failed(Compiled& c, Instance& inst, StepRecord& rec, const std::string& failure,
                        const std::string& status);
  // A parallel group's steps, their calls at once, until all completed or
  // one failed for good (ParallelGroupRun.cpp).
  Flow run_parallel_group(Compiled& c, Instance& inst);
  // The phases of a state machine (StateMachineRun.cpp): an action state's
  // run, a wait's end, the move into the next state, parking in a wait.
  Flow run_action_state(Compiled& c, Instance& inst);
  Flow end_wait(Compiled& c, Instance& inst);
  Flow enter_state(Compiled& c, Instance& inst, const std::string& next, const StepRecord& rec, const Run* run);
  Flow park_in_wait(Compiled& c, Instance& inst, const StepRecord* rec, const Run* run);
  Flow save_step(Instance& inst, const StepRecord* rec, const Run* run);
  Compiled* compiled(Worker& w, const std::string& name, const std::string& version);
  std::string insert_instance(storage::PgConnection& conn, const std::string& name, const std::string& input,
                              const std::string* parent_id, const std::string* trigger_event_id,
                              const std::string* id, const std::string& started_by);
  plugins::Outcome on_trigger(const std::string& workflow, const std::string& envelope, const std::string& event_id);
  // What one fetch brought: every instance started in one transaction (one
  // commit for the lot); should that fail, each event on its own.
  std::vector<plugins::Outcome> on_triggers(const std::string& workflow,
                                            const std::vector<events::EventConsumers::Event>& events);
  // A trigger event's instance input and initiator; false (with `out` set) when it is no event.
  static bool trigger_input(const std::string& envelope, std::string& input, std::string& started_by,
                            plugins::Outcome& out);
  plugins::Outcome on_event(const std::string& envelope, const std::string& event_id, const std::string& type);
  void sync_consumers();
  void wake_workers();
  // After a commit that made work: this host's workers, and every other
  // host's through crm_workflow.
  void announce_work();
  void record_latency(const std::string& workflow, double seconds);

  EngineConfig config_;
  WorkflowCatalog& catalog_;
  plugins::PluginRegistry& registry_;
  plugins::Invoker& invoker_;
  storage::ConnectionPool& pool_;
  events::EventConsumers* consumers_ = nullptr;
  std::string subject_prefix_;

  std::atomic<bool> stop_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread housekeeping_;
  std::unique_ptr<storage::PgListener> listener_;

  std::mutex api_mutex_;                // one request at a time in api_worker_'s sandboxes
  std::unique_ptr<Worker> api_worker_;

  std::mutex sources_mutex_;
  std::map<std::string, std::string> sources_; // version -> source
  std::mutex waits_mutex_;
  std::set<std::string> waited_types_;          // event types some wait names

  struct Latency {
    std::array<std::atomic<std::uint64_t>, metrics::Registry::kBuckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> count{0};
  };
  std::mutex latency_mutex_;
  std::map<std::string, std::unique_ptr<Latency>> latency_;
};

} // namespace crm::workflows
