// SagaRun: how the engine advances a saga (see WorkflowEngine.hpp).
#include "workflows/EngineParts.hpp"

#include "http/JsonText.hpp"
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

bool WorkflowEngine::advance_saga(Worker&, Compiled& c, Instance& inst) {
  const auto& steps = c.def.steps;
  // Undo from the last step done; a batched step stopped part way has done
  // something too, so it is undone first.
  auto start_compensation = [&steps](Instance& i) {
    const bool partial = i.step < static_cast<int>(steps.size()) && steps[static_cast<size_t>(i.step)].batched && i.batch > 0;
    i.phase = "compensating";
    if (!partial) i.step -= 1;
    i.batch = 0;
    i.attempt = 0;
  };
  while (!stop_) {
    if (inst.cancel_requested && inst.phase == "forward") {
      start_compensation(inst);
    }
    if (inst.phase == "forward" && inst.step >= static_cast<int>(steps.size())) {
      inst.status = "COMPLETED";
      inst.error.clear();
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    if (inst.phase == "compensating" && inst.step < 0) {
      inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    const bool forward = inst.phase == "forward";
    const SagaStep& step = steps[static_cast<size_t>(inst.step)];
    if (!forward && step.compensate.empty()) {
      inst.step -= 1;
      continue;
    }
    // The step's input, from the saga's data.
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
    std::string input, failure;
    c.run = &run;
    auto prepared = c.box.protect([&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
      lua_getfield(L, -1, "steps");
      lua_geti(L, -1, inst.step + 1);
      lua_getfield(L, -1, forward ? "input" : "compensate_input");
      if (lua_isfunction(L, -1)) {
        push_context(L, inst, inst.input, "results", "");
        // ctx.results from the saga's vars
        push_json(L, inst.vars.empty() ? "{}" : inst.vars);
        lua_getfield(L, -1, "results");
        lua_setfield(L, -3, "results");
        lua_pop(L, 1);
        lua_call(L, 1, 1);
        input = lua_isnil(L, -1) ? "{}" : to_json(L, -1);
      } else if (lua_istable(L, -1)) {
        input = to_json(L, -1);
      } else if (forward) {
        input = inst.input;
      } else {
        // Undo with what the step answered.
        push_json(L, inst.vars.empty() ? "{}" : inst.vars);
        lua_getfield(L, -1, "results");
        if (lua_istable(L, -1)) lua_getfield(L, -1, step.name.c_str());
        else lua_pushnil(L);
        input = lua_istable(L, -1) ? to_json(L, -1) : "{}";
      }
      return 0;
    });
    c.run = nullptr;
    if (!prepared.ok) {
      failure = prepared.error;
      c.note(prepared);
    }
    plugins::Outcome outcome;
    if (failure.empty()) {
      const std::string& op_name = forward ? step.call : step.compensate;
      outcome = call_operation(run, op_name, input);
      run.calls = 0;
      if (outcome.status != CRM_OK) {
        failure = op_name + ": " + outcome.message;
        for (const auto& e : outcome.errors) failure += "; " + e.field + ": " + e.message;
      }
    }
    // The reply joins the saga's data as results[step] (a batched step's sums
    // the batches' numbers).
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
    if (failure.empty() && step.batched && wants_more(outcome.body)) {
      // One batch done, more to do: the same step again, with the next key.
      rec.status = "COMPLETED";
      rec.result = outcome.body;
      inst.vars = vars_after;
      inst.batch += 1;
      inst.attempt = 0;
      inst.seq += 1;
      inst.wake_in_ms = 0;
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held) return false;
      inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
      continue;
    }
    if (failure.empty()) {
      rec.status = "COMPLETED";
      rec.result = outcome.body;
      inst.batch = 0;
      if (forward) {
        inst.vars = vars_after;
        inst.step += 1;
      } else {
        inst.step -= 1;
      }
      inst.attempt = 0;
      inst.seq += 1;
      inst.wake_in_ms = 0;
      // The last step done: the end is saved with it.
      if (forward && inst.step >= static_cast<int>(steps.size()) && !inst.cancel_requested) {
        inst.status = "COMPLETED";
        inst.error.clear();
        inst.wake_in_ms = -1;
      } else if (!forward && inst.step < 0) {
        inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
        inst.wake_in_ms = -1;
      }
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held || inst.status != "RUNNING") return saved.held;
      inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
      continue;
    }
    rec.status = "FAILED";
    rec.error = failure;
    inst.attempt += 1;
    inst.error = error_json("step", step.name, failure);
    log::info("workflows", "step failed: " + failure,
              {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name},
               {"attempt", std::to_string(inst.attempt)}});
    if (inst.attempt < step.attempts) {
      // Again after the policy's delay; the lease goes back meanwhile.
      const long long delay_s = parse_duration(step.delay);
      inst.wake_in_ms = step.delay.size() > 2 && step.delay.compare(step.delay.size() - 2, 2, "ms") == 0
                            ? std::stoll(step.delay.substr(0, step.delay.size() - 2))
                            : std::max(0LL, delay_s) * 1000;
      if (inst.wake_in_ms == 0) inst.wake_in_ms = 1; // released, then taken up again at once
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (saved.held) wake_workers();
      return saved.held;
    }
    inst.attempt = 0;
    if (forward) {
      // Finally failed: undo what was done, last first.
      start_compensation(inst);
      inst.wake_in_ms = 0;
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held) return false;
      continue;
    }
    // A compensation failed: a person must look (retry resumes here).
    inst.status = "FAILED";
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, &rec, nullptr);
    log::error("workflows", "compensation failed; the instance is FAILED: " + failure,
               {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name}});
    return true;
  }
  inst.release = true;
  inst.wake_in_ms = 0;
  save(pool_, config_, inst, nullptr, nullptr);
  return true;
}

} // namespace crm::workflows
