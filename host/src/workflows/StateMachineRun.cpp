// StateMachineRun: how the engine advances a state machine: action states,
// waits, timers (see WorkflowEngine.hpp).
#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"
#include "log/Log.hpp"
#include "workflows/LuaJson.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

namespace crm::workflows {

using namespace engine;

bool WorkflowEngine::advance_state_machine(Worker&, Compiled& c, Instance& inst) {
  while (!stop_) {
    if (inst.cancel_requested) {
      inst.status = "CANCELLED";
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    Flow flow;
    if (!c.def.waits.count(inst.state)) flow = run_action_state(c, inst);
    else if (inst.waited_before.empty() && inst.event.empty()) flow = park_in_wait(c, inst, nullptr, nullptr);
    else flow = end_wait(c, inst); // parked already (a wait as the start state is not, at first)
    if (flow != Flow::Continue) return flow == Flow::Stop;
  }
  inst.release = true;
  inst.wake_in_ms = 0;
  save(pool_, config_, inst, nullptr, nullptr);
  return true;
}

WorkflowEngine::Flow WorkflowEngine::save_step(Instance& inst, const StepRecord* rec, const Run* run) {
  auto saved = save(pool_, config_, inst, rec, run);
  if (!saved.held) return Flow::LeaseLost;
  inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
  return Flow::Continue;
}

WorkflowEngine::Flow WorkflowEngine::enter_state(Compiled& c, Instance& inst, const std::string& next,
                                                 const StepRecord& rec, const Run* run) {
  inst.state = next;
  if (c.def.waits.count(next)) return park_in_wait(c, inst, &rec, run);
  inst.wake_in_ms = 0;
  return save_step(inst, &rec, run); // ctx.event stays for the next state
}

namespace {

// The key a wait waits on: its key variable's value, or what its key
// function returns. Empty, with *failure set, when there is none.
std::string wait_key(WorkflowEngine::Compiled& c, const WorkflowEngine::Instance& inst, const WaitSpec& spec,
                     std::string& failure) {
  std::string key;
  if (!spec.key_var.empty()) {
    try {
      Poco::JSON::Parser parser;
      auto vars = parser.parse(inst.vars).extract<Poco::JSON::Object::Ptr>();
      if (vars->has(spec.key_var) && !vars->get(spec.key_var).isEmpty())
        key = vars->get(spec.key_var).convert<std::string>();
    } catch (const std::exception&) {
    }
    if (key.empty()) failure = "the wait's key variable '" + spec.key_var + "' is not set";
    return key;
  }
  auto o = c.box.protect([&](lua_State* L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
    lua_getfield(L, -1, "states");
    lua_getfield(L, -1, inst.state.c_str());
    lua_getfield(L, -1, "key");
    push_context(L, inst, inst.input, "vars", inst.vars);
    lua_call(L, 1, 1);
    if (lua_isnil(L, -1)) failure = "the wait's key function returned nothing";
    else key = luaL_tolstring(L, -1, nullptr);
    return 0;
  });
  if (!o.ok) {
    failure = o.error;
    c.note(o);
  }
  return key;
}

// The type of the event that ended a wait.
std::string event_type(const std::string& envelope) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(envelope).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("type", "");
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace

// Parks the instance in wait state inst.state, saving `rec` and `run` with
// it. Goes on at once when the wait's event is in the mailbox already.
WorkflowEngine::Flow WorkflowEngine::park_in_wait(Compiled& c, Instance& inst, const StepRecord* rec, const Run* run) {
  const WaitSpec& spec = c.def.waits.at(inst.state);
  std::string failure;
  std::string key = wait_key(c, inst, spec, failure);
  inst.event.clear();
  if (!failure.empty()) {
    inst.status = "FAILED";
    inst.error = error_json("state", inst.state, failure);
    inst.wake_in_ms = -1;
    return save(pool_, config_, inst, rec, run).held ? Flow::Stop : Flow::LeaseLost;
  }
  inst.status = "WAITING";
  inst.wait_events = spec.events;
  inst.wait_path = spec.match_path;
  inst.wait_key = std::move(key);
  inst.wake_in_ms = spec.timeout_seconds < 0 ? -1 : spec.timeout_seconds * 1000;
  auto saved = save(pool_, config_, inst, rec, run);
  if (!saved.held) return Flow::LeaseLost;
  if (saved.event.empty()) return Flow::Stop;
  inst.waited_before = spec.events; // ended by the event found
  inst.cancel_requested = saved.cancel_requested;
  return Flow::Continue;
}

// A wait is over, by its event or by its timer: on to the state it names.
WorkflowEngine::Flow WorkflowEngine::end_wait(Compiled& c, Instance& inst) {
  const WaitSpec& wait = c.def.waits.at(inst.state);
  StepRecord rec;
  rec.name = inst.state;
  rec.phase = "state";
  rec.started_at = now_rfc3339();
  rec.status = "COMPLETED";
  std::string next;
  if (!inst.event.empty()) {
    auto to = wait.on_event.find(event_type(inst.event));
    if (to != wait.on_event.end()) next = to->second;
    rec.result = "{\"event\":" + inst.event + "}";
  } else {
    next = wait.on_timeout;
    rec.result = "{\"timedOut\":true}";
  }
  inst.waited_before.clear();
  inst.seq += 1;
  if (next.empty()) {
    inst.status = "FAILED";
    inst.error = error_json("state", inst.state, "the wait ended with no next state");
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, &rec, nullptr);
    return Flow::Stop;
  }
  return enter_state(c, inst, next, rec, nullptr);
}

// An action state: runs its function, which names the next state or ends
// the instance.
WorkflowEngine::Flow WorkflowEngine::run_action_state(Compiled& c, Instance& inst) {
  Run run;
  run.engine = this;
  run.instance = &inst;
  run.key_base = "wf:" + inst.id + ":s:" + std::to_string(inst.seq);
  StepRecord rec;
  rec.name = inst.state;
  rec.phase = "state";
  rec.attempt = inst.attempt + 1;
  rec.started_at = now_rfc3339();
  const auto started = Clock::now();
  std::string next, vars, failure;
  bool done = false;
  c.run = &run;
  auto ran = c.box.protect([&](lua_State* L) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
    lua_getfield(L, -1, "states");
    const int states = lua_gettop(L);
    push_context(L, inst, inst.input, "vars", inst.vars);
    const int ctx = lua_gettop(L);
    lua_getfield(L, states, inst.state.c_str());
    lua_pushvalue(L, ctx);
    lua_call(L, 1, 1);
    if (lua_isnil(L, ctx + 1)) done = true;
    else if (lua_type(L, ctx + 1) == LUA_TSTRING) next = lua_tostring(L, ctx + 1);
    else failure = "a state must return the name of the next state, or nil to finish";
    lua_getfield(L, ctx, "vars");
    vars = lua_istable(L, -1) ? to_json(L, -1) : "{}";
    return 0;
  });
  c.run = nullptr;
  if (!ran.ok) {
    failure = ran.error;
    c.note(ran);
  }
  if (failure.empty() && !done && !std::binary_search(c.def.states.begin(), c.def.states.end(), next))
    failure = "state '" + inst.state + "' went to unknown state '" + next + "'";
  rec.ms = ms_since(started);
  record_latency(inst.name, rec.ms / 1000.0);
  if (!failure.empty()) {
    rec.status = "FAILED";
    rec.error = failure;
    inst.attempt += 1;
    inst.status = "FAILED";
    inst.error = error_json("state", inst.state, failure);
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, &rec, nullptr);
    log::warn("workflows", "state failed; the instance is FAILED: " + failure,
              {{"workflow", inst.name}, {"instance", inst.id}, {"state", inst.state}});
    return Flow::Stop;
  }
  rec.status = "COMPLETED";
  if (!next.empty()) {
    rec.result = "{\"next\":";
    core::append_json_string(rec.result, next);
    rec.result += '}';
  }
  inst.vars = vars;
  inst.event.clear();
  inst.error.clear();
  inst.attempt = 0;
  inst.seq += 1;
  if (!run.children.empty()) wake_workers();
  if (done) {
    inst.status = "COMPLETED";
    inst.wake_in_ms = -1;
    return save(pool_, config_, inst, &rec, &run).held ? Flow::Stop : Flow::LeaseLost;
  }
  return enter_state(c, inst, next, rec, &run);
}

} // namespace crm::workflows
