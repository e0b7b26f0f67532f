// SagaRun: how the engine advances a saga (see WorkflowEngine.hpp).
#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"
#include "log/Log.hpp"
#include "workflows/LuaJson.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <sstream>

namespace crm::workflows {

using namespace engine;

namespace {

// A batched step's reply asks for another batch.
bool wants_more(const std::string& reply) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(reply).extract<Poco::JSON::Object::Ptr>();
    return o->has("more") && o->get("more").isBoolean() && o->getValue<bool>("more");
  } catch (const std::exception&) {
    return false;
  }
}

// The step's result after one more batch: this batch's reply, with every
// number that the earlier batches also had summed over them.
std::string merge_batch(const std::string& so_far, const std::string& reply) {
  if (so_far.empty()) return reply;
  try {
    Poco::JSON::Parser parser;
    auto before = parser.parse(so_far).extract<Poco::JSON::Object::Ptr>();
    parser.reset();
    auto now = parser.parse(reply).extract<Poco::JSON::Object::Ptr>();
    for (const auto& name : now->getNames()) {
      if (!before->has(name)) continue;
      const auto& a = before->get(name);
      const auto& b = now->get(name);
      if (!a.isNumeric() || !b.isNumeric() || a.isBoolean() || b.isBoolean()) continue;
      if (a.isInteger() && b.isInteger()) now->set(name, a.convert<Poco::Int64>() + b.convert<Poco::Int64>());
      else now->set(name, a.convert<double>() + b.convert<double>());
    }
    std::ostringstream out;
    now->stringify(out);
    return out.str();
  } catch (const std::exception&) {
    return reply;
  }
}

// The step's result so far (results[step] in the vars), or empty.
std::string result_of(const std::string& vars, const std::string& step) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(vars.empty() ? "{}" : vars).extract<Poco::JSON::Object::Ptr>();
    auto results = o->getObject("results");
    if (!results || !results->has(step)) return {};
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(results->get(step), out);
    return out.str();
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace

namespace {

// Undo from the last step done; a batched step stopped part way has done
// something too, so it is undone first, and so are the steps of a parallel
// group under way that completed (group_progress says which).
void start_compensation(const std::vector<SagaStep>& steps, WorkflowEngine::Instance& inst) {
  const SagaStep* at = inst.step >= 0 && inst.step < static_cast<int>(steps.size())
                           ? &steps[static_cast<size_t>(inst.step)]
                           : nullptr;
  const bool partial = at && at->batched && inst.batch > 0;
  inst.phase = "compensating";
  if (at && at->group >= 0 && group_progress(inst.vars).group == at->group) inst.step = at->group + at->group_size - 1;
  else if (!partial) inst.step -= 1;
  inst.batch = 0;
  inst.attempt = 0;
}

// Whether undoing passes over the step: it has nothing to undo, or it belongs
// to the parallel group that was under way and never completed.
bool nothing_to_undo(const SagaStep& step, const WorkflowEngine::Instance& inst) {
  if (step.compensate.empty()) return true;
  if (step.group < 0) return false;
  const GroupProgress progress = group_progress(inst.vars);
  return progress.group == step.group && !progress.done.count(step.name);
}

} // namespace

namespace engine {

std::string failure_text(const std::string& op_name, const plugins::Outcome& outcome) {
  std::string out = op_name + ": " + outcome.message;
  for (const auto& e : outcome.errors) out += "; " + e.field + ": " + e.message;
  return out;
}

// See EngineParts.hpp.
std::string step_input(WorkflowEngine::Compiled& c, const WorkflowEngine::Instance& inst, const SagaStep& step,
                       bool forward, std::string& failure) {
  std::string input;
  auto prepared = c.box.protect([&](lua_State* L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
    lua_getfield(L, -1, "steps");
    lua_geti(L, -1, step.lua_index);
    if (step.branch > 0) lua_geti(L, -1, step.branch); // the step inside its parallel { ... }
    lua_getfield(L, -1, forward ? "input" : "compensate_input");
    if (lua_isfunction(L, -1)) {
      push_context(L, inst, inst.input, "results", "");
      // ctx.results, and ctx.failure while compensating, from the saga's vars
      push_json(L, inst.vars.empty() ? "{}" : inst.vars);
      lua_getfield(L, -1, "results");
      lua_setfield(L, -3, "results");
      lua_getfield(L, -1, "failure");
      lua_setfield(L, -3, "failure");
      lua_pop(L, 1);
      lua_call(L, 1, 1);
      input = lua_isnil(L, -1) ? "{}" : to_json(L, -1);
    } else if (lua_istable(L, -1)) {
      input = to_json(L, -1);
    } else if (forward) {
      input = inst.input;
    } else {
      push_json(L, inst.vars.empty() ? "{}" : inst.vars);
      lua_getfield(L, -1, "results");
      if (lua_istable(L, -1)) lua_getfield(L, -1, step.name.c_str());
      else lua_pushnil(L);
      input = lua_istable(L, -1) ? to_json(L, -1) : "{}";
    }
    return 0;
  });
  if (!prepared.ok) {
    failure = prepared.error;
    c.note(prepared);
  }
  return input;
}

} // namespace engine

bool WorkflowEngine::advance_saga(Worker&, Compiled& c, Instance& inst) {
  while (!stop_) {
    if (auto end = saga_end(c, inst)) {
      if (*end == Flow::Continue) continue;
      return *end == Flow::Stop;
    }
    const SagaStep& step = c.def.steps[static_cast<size_t>(inst.step)];
    const Flow flow = inst.phase == "forward" && step.group >= 0 ? run_parallel_group(c, inst) : saga_attempt(c, inst);
    if (flow != Flow::Continue) return flow == Flow::Stop;
  }
  inst.release = true;
  inst.wake_in_ms = 0;
  save(pool_, config_, inst, nullptr, nullptr);
  return true;
}

// Before a step: a cancellation turns the saga back; past the last step
// forward, or before the first when undoing, it ends; a step with nothing to
// undo is passed. Empty when the current step is to run.
std::optional<WorkflowEngine::Flow> WorkflowEngine::saga_end(Compiled& c, Instance& inst) {
  const auto& steps = c.def.steps;
  if (inst.cancel_requested && inst.phase == "forward") {
    // ctx.failure names the step the saga had reached (the last, when all are done).
    const size_t at = std::min(static_cast<size_t>(std::max(inst.step, 0)), steps.size() - 1);
    inst.vars = with_failure(inst.vars, steps[at].name, "CANCELLED", "cancelled");
    start_compensation(steps, inst);
  }
  if (inst.phase == "forward" && inst.step >= static_cast<int>(steps.size())) {
    inst.status = "COMPLETED";
    inst.error.clear();
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, nullptr, nullptr);
    return Flow::Stop;
  }
  if (inst.phase == "compensating" && inst.step < 0) {
    inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, nullptr, nullptr);
    return Flow::Stop;
  }
  if (inst.phase != "forward" && nothing_to_undo(steps[static_cast<size_t>(inst.step)], inst)) {
    inst.step -= 1;
    return Flow::Continue;
  }
  return std::nullopt;
}

// One attempt of the current step (or its compensation): its input, its
// call, and its reply joined to the saga's data as results[step] (a batched
// step's sums the batches' numbers).
WorkflowEngine::Flow WorkflowEngine::saga_attempt(Compiled& c, Instance& inst) {
  const bool forward = inst.phase == "forward";
  const SagaStep& step = c.def.steps[static_cast<size_t>(inst.step)];
  Run run;
  run.engine = this;
  run.instance = &inst;
  run.key_base = "wf:" + inst.id + ":" + std::to_string(inst.run) + (forward ? ":f:" : ":c:") +
                 std::to_string(inst.step) + (inst.batch > 0 ? ":b" + std::to_string(inst.batch) : std::string());
  StepRecord rec;
  rec.name = step.batched ? step.name + " #" + std::to_string(inst.batch + 1) : step.name;
  rec.phase = forward ? "forward" : "compensate";
  rec.attempt = inst.attempt + 1;
  rec.started_at = now_rfc3339();
  const auto started = Clock::now();
  std::string failure;
  std::string status = "INTERNAL"; // a script that fails, or a reply that cannot be kept
  c.run = &run;
  const std::string input = step_input(c, inst, step, forward, failure);
  c.run = nullptr;
  plugins::Outcome outcome;
  if (failure.empty()) {
    const std::string& op_name = forward ? step.call : step.compensate;
    outcome = call_operation(run, op_name, input);
    run.calls = 0;
    if (outcome.status != CRM_OK) {
      failure = failure_text(op_name, outcome);
      status = status_name(outcome.status);
    }
  }
  std::string vars_after = inst.vars;
  if (failure.empty() && forward) {
    const std::string result = step.batched && inst.batch > 0
                                   ? merge_batch(result_of(inst.vars, step.name), outcome.body)
                                   : outcome.body;
    try {
      vars_after = with_result(c.box, inst.vars, step.name, result);
    } catch (const std::exception& e) {
      failure = e.what();
      c.broken = true;
    }
  }
  rec.ms = ms_since(started);
  record_latency(inst.name, rec.ms / 1000.0);
  if (!failure.empty()) return saga_step_failed(c, inst, rec, failure, status);
  return saga_step_done(c, inst, rec, outcome.body, std::move(vars_after));
}

// A step (or one batch of it) succeeded: on to the next batch, or the next
// step in the saga's direction; the saga's end is saved with its last step.
WorkflowEngine::Flow WorkflowEngine::saga_step_done(Compiled& c, Instance& inst, StepRecord& rec,
                                                    const std::string& reply, std::string vars) {
  const bool forward = inst.phase == "forward";
  const SagaStep& step = c.def.steps[static_cast<size_t>(inst.step)];
  rec.status = "COMPLETED";
  rec.result = reply;
  inst.attempt = 0;
  inst.seq += 1;
  inst.wake_in_ms = 0;
  if (step.batched && wants_more(reply)) {
    // One batch done, more to do: the same step again, with the next key.
    inst.vars = std::move(vars);
    inst.batch += 1;
    return save_step(inst, &rec, nullptr);
  }
  inst.batch = 0;
  if (forward) {
    inst.vars = std::move(vars);
    inst.step += 1;
  } else {
    inst.step -= 1;
  }
  if (forward && inst.step >= static_cast<int>(c.def.steps.size()) && !inst.cancel_requested) {
    inst.status = "COMPLETED";
    inst.error.clear();
    inst.wake_in_ms = -1;
  } else if (!forward && inst.step < 0) {
    inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
    inst.wake_in_ms = -1;
  }
  auto saved = save(pool_, config_, inst, &rec, nullptr);
  if (!saved.held) return Flow::LeaseLost;
  if (inst.status != "RUNNING") return Flow::Stop;
  inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
  return Flow::Continue;
}

// A step failed: again after its policy's delay while attempts are left;
// then, going forward, undo what was done, last first; a compensation that
// keeps failing leaves the saga FAILED for a person to look at (a retry
// resumes there).
WorkflowEngine::Flow WorkflowEngine::saga_step_failed(Compiled& c, Instance& inst, StepRecord& rec,
                                                      const std::string& failure, const std::string& status) {
  const SagaStep& step = c.def.steps[static_cast<size_t>(inst.step)];
  rec.status = "FAILED";
  rec.error = failure;
  inst.attempt += 1;
  inst.error = error_json("step", step.name, failure);
  log::info("workflows", "step failed: " + failure,
            {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name},
             {"attempt", std::to_string(inst.attempt)}});
  if (inst.attempt < step.attempts && retries_on(step, status)) {
    inst.wake_in_ms = retry_delay_ms(step, inst.attempt); // the lease goes back meanwhile
    auto saved = save(pool_, config_, inst, &rec, nullptr);
    if (!saved.held) return Flow::LeaseLost;
    wake_workers();
    return Flow::Stop;
  }
  inst.attempt = 0;
  if (inst.phase == "forward") {
    inst.vars = with_failure(inst.vars, step.name, status, failure); // ctx.failure while undoing
    start_compensation(c.def.steps, inst);
    inst.wake_in_ms = 0;
    return save(pool_, config_, inst, &rec, nullptr).held ? Flow::Continue : Flow::LeaseLost;
  }
  inst.status = "FAILED";
  inst.wake_in_ms = -1;
  save(pool_, config_, inst, &rec, nullptr);
  log::error("workflows", "compensation failed; the instance is FAILED: " + failure,
             {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name}});
  return Flow::Stop;
}

} // namespace crm::workflows
