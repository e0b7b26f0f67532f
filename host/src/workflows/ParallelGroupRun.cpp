// ParallelGroupRun: how the engine runs a saga's `parallel { step ..., step
// ... }` (see WorkflowEngine.hpp). The worker holding the instance computes
// each step's input in its sandbox (a Lua state serves one thread) and hands
// the call to a thread of its own, so the calls overlap; the worker alone
// records their outcomes and saves the instance, renewing its lease while any
// call runs, and waits out each step's retry delays itself.
//
// Each step's call carries the key the step would have alone (instance, run,
// its index), and every outcome is saved as it comes with the group's progress
// (vars.parallel), so a group taken up again after a crash calls only the
// steps not yet recorded, and a call that was in flight returns its first
// reply if it had one: no effect happens twice.
#include "workflows/EngineParts.hpp"

#include "log/Log.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace crm::workflows {

using namespace engine;

namespace {

// One step of the group as this worker drives it.
struct Branch {
  enum class State { Due, Running, Done, Failed };
  const SagaStep* step = nullptr;
  int index = 0; // in the saga's steps: the idempotency key's step number
  State state = State::Due;
  int failures = 0;
  Clock::time_point due_at = Clock::now();
  Clock::time_point started;
  bool input_failed = false;
  WorkflowEngine::Run run;
  StepRecord rec;
  std::thread thread;
};

// The calls' outcomes, put by their threads as they end, taken by the worker.
struct Outcomes {
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<std::pair<size_t, plugins::Outcome>> queue; // branch number, outcome

  void put(size_t branch, plugins::Outcome outcome) {
    {
      std::lock_guard lock(mutex);
      queue.emplace_back(branch, std::move(outcome));
    }
    arrived.notify_one();
  }
};

// Whatever happens (a database failure thrown out of a save), no call's
// thread outlives the branches and outcomes it writes to.
struct JoinAll {
  std::vector<std::unique_ptr<Branch>>& branches;
  ~JoinAll() {
    for (auto& b : branches)
      if (b->thread.joinable()) b->thread.join();
  }
};

} // namespace

WorkflowEngine::Flow WorkflowEngine::run_parallel_group(Compiled& c, Instance& inst) {
  const int first = c.def.steps[static_cast<size_t>(inst.step)].group;
  const int size = c.def.steps[static_cast<size_t>(first)].group_size;
  inst.step = first;
  inst.wake_in_ms = 0;
  GroupProgress progress = group_progress(inst.vars);
  if (progress.group != first) progress = GroupProgress{first, {}, {}, {}};

  Outcomes outcomes;
  std::vector<std::unique_ptr<Branch>> branches;
  JoinAll join_all{branches};
  for (int i = first; i < first + size; ++i) {
    auto b = std::make_unique<Branch>();
    b->step = &c.def.steps[static_cast<size_t>(i)];
    b->index = i;
    const std::string& name = b->step->name;
    if (auto a = progress.attempts.find(name); a != progress.attempts.end()) b->failures = a->second;
    if (progress.done.count(name)) b->state = Branch::State::Done;
    else if (progress.failed == name) b->state = Branch::State::Failed;
    branches.push_back(std::move(b));
  }
  bool gave_up = !progress.failed.empty(); // a step failed for good: the group is undone
  bool lease_lost = false;

  // Computes the branch's input here, then calls on a thread of its own.
  auto launch = [&](size_t n) {
    Branch& b = *branches[n];
    if (b.thread.joinable()) b.thread.join();
    b.run = Run{};
    b.run.engine = this;
    b.run.instance = &inst;
    b.run.key_base = "wf:" + inst.id + ":" + std::to_string(inst.run) + ":f:" + std::to_string(b.index);
    b.rec = StepRecord{};
    b.rec.name = b.step->name;
    b.rec.phase = "forward";
    b.rec.attempt = b.failures + 1;
    b.rec.started_at = now_rfc3339();
    b.started = Clock::now();
    b.state = Branch::State::Running;
    std::string failure;
    c.run = &b.run;
    std::string input = step_input(c, inst, *b.step, true, failure);
    c.run = nullptr;
    b.input_failed = !failure.empty();
    if (b.input_failed) {
      plugins::Outcome o;
      o.status = CRM_E_INTERNAL;
      o.message = failure;
      outcomes.put(n, std::move(o));
      return;
    }
    try {
      b.thread = std::thread([&outcomes, n, run = &b.run, op = b.step->call, input = std::move(input)] {
        plugins::Outcome o;
        try {
          o = call_operation(*run, op, input);
        } catch (const std::exception& e) {
          o.status = CRM_E_UNAVAILABLE;
          o.message = e.what();
        }
        outcomes.put(n, std::move(o));
      });
    } catch (const std::system_error& e) {
      plugins::Outcome o;
      o.status = CRM_E_UNAVAILABLE;
      o.message = std::string("no thread for the call: ") + e.what();
      outcomes.put(n, std::move(o));
    }
  };

  // Records one call's outcome and saves it with the group's progress.
  auto settle = [&](Branch& b, const plugins::Outcome& o) {
    if (b.thread.joinable()) b.thread.join();
    const std::string& name = b.step->name;
    b.rec.ms = ms_since(b.started);
    record_latency(inst.name, b.rec.ms / 1000.0);
    std::string failure, status = "INTERNAL";
    if (b.input_failed) failure = o.message;
    else if (o.status != CRM_OK) failure = failure_text(b.step->call, o), status = status_name(o.status);
    if (failure.empty()) {
      try {
        inst.vars = with_result(c.box, inst.vars, name, o.body);
      } catch (const std::exception& e) {
        failure = e.what();
        c.broken = true;
      }
    }
    if (failure.empty()) {
      b.state = Branch::State::Done;
      progress.done.insert(name);
      b.rec.status = "COMPLETED";
      b.rec.result = o.body;
      inst.seq += 1;
    } else {
      b.failures += 1;
      progress.attempts[name] = b.failures;
      b.rec.status = "FAILED";
      b.rec.error = failure;
      log::info("workflows", "step failed: " + failure,
                {{"workflow", inst.name}, {"instance", inst.id}, {"step", name},
                 {"attempt", std::to_string(b.failures)}});
      if (b.failures < b.step->attempts && retries_on(*b.step, status) && !gave_up && !inst.cancel_requested) {
        b.state = Branch::State::Due;
        b.due_at = Clock::now() + std::chrono::milliseconds(retry_delay_ms(*b.step, b.failures));
      } else {
        b.state = Branch::State::Failed;
        if (!gave_up) {
          gave_up = true;
          progress.failed = name;
          inst.vars = with_failure(inst.vars, name, status, failure); // ctx.failure while undoing
          inst.error = error_json("step", name, failure);
        }
      }
    }
    inst.vars = with_group_progress(inst.vars, progress);
    auto saved = save(pool_, config_, inst, &b.rec, nullptr);
    if (!saved.held) lease_lost = true;
    inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
  };

  const auto renew_every = std::chrono::milliseconds(std::max(500, config_.lease_seconds * 1000 / 3));
  auto renewed = Clock::now();
  for (;;) {
    const bool winding_down = gave_up || lease_lost || inst.cancel_requested || stop_;
    int running = 0;
    auto next_due = Clock::time_point::max();
    for (size_t n = 0; n < branches.size(); ++n) {
      Branch& b = *branches[n];
      if (b.state == Branch::State::Due && !winding_down && b.due_at <= Clock::now()) launch(n);
      if (b.state == Branch::State::Running) ++running;
      if (b.state == Branch::State::Due) next_due = std::min(next_due, b.due_at);
    }
    const bool any_due = next_due != Clock::time_point::max();
    if (running == 0 && (winding_down || !any_due)) break;
    auto until = renewed + renew_every;
    if (!winding_down && any_due) until = std::min(until, next_due);
    std::deque<std::pair<size_t, plugins::Outcome>> arrived;
    {
      std::unique_lock lock(outcomes.mutex);
      outcomes.arrived.wait_until(lock, until, [&] { return !outcomes.queue.empty(); });
      arrived.swap(outcomes.queue);
    }
    for (auto& [n, outcome] : arrived) {
      Branch& b = *branches[n];
      if (!lease_lost) {
        settle(b, outcome);
        continue;
      }
      // Another host has the instance now: it records this step itself.
      if (b.thread.joinable()) b.thread.join();
      b.state = Branch::State::Failed;
    }
    if (!lease_lost && Clock::now() >= renewed + renew_every) {
      inst.vars = with_group_progress(inst.vars, progress);
      auto saved = save(pool_, config_, inst, nullptr, nullptr); // the lease, renewed
      if (!saved.held) lease_lost = true;
      inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
      renewed = Clock::now();
    }
  }

  if (lease_lost) return Flow::LeaseLost;
  const bool all_done = std::all_of(branches.begin(), branches.end(),
                                    [](const auto& b) { return b->state == Branch::State::Done; });
  if (all_done) {
    // On to the step after the group (a cancellation asked meanwhile undoes it all).
    inst.vars = with_group_progress(inst.vars, GroupProgress{});
    inst.step = first + size;
    if (inst.step >= static_cast<int>(c.def.steps.size()) && !inst.cancel_requested) {
      inst.status = "COMPLETED";
      inst.error.clear();
      inst.wake_in_ms = -1;
    }
    auto saved = save(pool_, config_, inst, nullptr, nullptr);
    if (!saved.held) return Flow::LeaseLost;
    if (inst.status != "RUNNING") return Flow::Stop;
    inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
    return Flow::Continue;
  }
  if (!gave_up && !inst.cancel_requested) return Flow::Stop; // stopping: taken up again at restart
  // Undo the steps of the group that completed, then the steps before it.
  if (!gave_up) inst.vars = with_failure(inst.vars, c.def.steps[static_cast<size_t>(first)].name, "CANCELLED", "cancelled");
  inst.vars = with_group_progress(inst.vars, progress);
  inst.phase = "compensating";
  inst.step = first + size - 1;
  inst.attempt = 0;
  inst.batch = 0;
  inst.wake_in_ms = 0;
  return save(pool_, config_, inst, nullptr, nullptr).held ? Flow::Continue : Flow::LeaseLost;
}

} // namespace crm::workflows
