// EngineLua: what workflow scripts see of the platform (crm.call, emit,
// start, now, iso, log) and how the engine hands them their ctx.
#include "workflows/EngineParts.hpp"

#include "core/CrashPoints.hpp"

#include "log/Log.hpp"
#include "workflows/LuaJson.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace crm::workflows::engine {

namespace {

WorkflowEngine::Run& current_run(lua_State* L) {
  auto* c = static_cast<WorkflowEngine::Compiled*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (!c->run) luaL_error(L, "crm functions are only available while an instance runs");
  return *c->run;
}

} // namespace

// crm.call(operation, args) -> the reply as a table; raises "<op>: <message>" on failure.
static int lua_crm_call(lua_State* L);
static int lua_crm_try_call(lua_State* L);
static int lua_crm_emit(lua_State* L);
static int lua_crm_start(lua_State* L);
static int lua_crm_now(lua_State* L);
static int lua_crm_log(lua_State* L);
static void install_crm_table(WorkflowEngine::Compiled& compiled, lua_State* L);
static std::string with_result_in(lua_State* L, const std::string& vars, const std::string& step,
                                  const std::string& reply);

plugins::Outcome call_operation(WorkflowEngine::Run& run, const std::string& op_name, const std::string& input) {
  plugins::Outcome out;
  const plugins::Operation* op = run.engine->registry_ref().find_operation(op_name);
  if (!op) {
    out.status = CRM_E_NOT_FOUND;
    out.message = "no operation " + op_name + " is loaded";
    return out;
  }
  if (run.read_only && !op->read_only) {
    out.status = CRM_E_FORBIDDEN;
    out.message = "only read operations may be called here, and " + op_name + " changes data";
    return out;
  }
  const std::string key = run.key_base + ":" + std::to_string(++run.calls);
  plugins::Invocation inv;
  inv.op = op;
  inv.input = input;
  inv.principal = &security::Principal::system_caller();
  inv.request_id = run.instance->id.c_str();
  inv.trace_id = run.instance->id.c_str();
  inv.idempotency_key = key.c_str();
  // Audited as the workflow, on behalf of whoever started the instance.
  const plugins::Delegation on_behalf{"workflow:" + run.instance->name, run.instance->started_by, run.instance->id};
  inv.delegation = &on_behalf;
  plugins::Outcome outcome = run.engine->invoker_ref().invoke(inv);
  if (outcome.status == CRM_OK && !outcome.duplicate) core::crash_point("workflow.call_committed");
  return outcome;
}

// The operation's name and outcome of crm.call / crm.try_call (the Lua
// error raised for a bad argument leaves through luaL_error). A call costs
// the script LuaSandbox::kHostCallCost of its budget, so that a loop of calls
// ends too; the deadline stands still while the operation runs.
static plugins::Outcome call_from_lua(lua_State* L, const char* fn, std::string& op) {
  auto& run = current_run(L);
  op = luaL_checkstring(L, 1);
  std::string input = "{}";
  std::string failure;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      input = to_json(L, 2);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) luaL_error(L, "%s(%s): %s", fn, op.c_str(), failure.c_str());
  }
  LuaSandbox& box = LuaSandbox::of(L);
  box.charge(L, LuaSandbox::kHostCallCost);
  plugins::Outcome out;
  try {
    LuaSandbox::HostCall waiting(box);
    out = call_operation(run, op, input);
  } catch (const std::exception& e) {
    // Never as a C++ exception through Lua's frames.
    failure = e.what();
  }
  if (!failure.empty()) luaL_error(L, "%s(%s): %s", fn, op.c_str(), failure.c_str());
  return out;
}

static int push_reply(lua_State* L, const char* fn, const std::string& op, const plugins::Outcome& o) {
  if (o.body.empty()) {
    lua_newtable(L);
    return 1;
  }
  try {
    push_json(L, o.body);
  } catch (const std::exception& e) {
    return luaL_error(L, "%s(%s): the reply is not JSON", fn, op.c_str());
  }
  return 1;
}

const char* status_name(crm_status s) {
  switch (s) {
  case CRM_OK: return "OK";
  case CRM_E_INVALID: return "INVALID";
  case CRM_E_NOT_FOUND: return "NOT_FOUND";
  case CRM_E_CONFLICT: return "CONFLICT";
  case CRM_E_FORBIDDEN: return "FORBIDDEN";
  case CRM_E_UNAVAILABLE: return "UNAVAILABLE";
  case CRM_E_UNAUTHENTICATED: return "UNAUTHENTICATED";
  case CRM_E_RATE_LIMITED: return "RATE_LIMITED";
  default: return "INTERNAL";
  }
}

// crm.call(op, args) -> the reply; raises "op: message; field: message" on failure.
static int lua_crm_call(lua_State* L) {
  std::string op;
  plugins::Outcome o = call_from_lua(L, "crm.call", op);
  if (o.status != CRM_OK) {
    std::string message = op + ": " + o.message;
    for (const auto& e : o.errors) message += "; " + e.field + ": " + e.message;
    lua_pushstring(L, message.c_str());
    return lua_error(L);
  }
  return push_reply(L, "crm.call", op, o);
}

// crm.try_call(op, args) -> the reply, or nil and {status = "NOT_FOUND"|
// "INVALID"|..., message, errors = {{field, message}, ...}}: for a script that
// handles a refusal (a user that does not exist) instead of failing the step.
static int lua_crm_try_call(lua_State* L) {
  std::string op;
  plugins::Outcome o = call_from_lua(L, "crm.try_call", op);
  if (o.status == CRM_OK) return push_reply(L, "crm.try_call", op, o);
  lua_pushnil(L);
  lua_createtable(L, 0, 3);
  lua_pushstring(L, status_name(o.status));
  lua_setfield(L, -2, "status");
  lua_pushstring(L, (op + ": " + o.message).c_str());
  lua_setfield(L, -2, "message");
  lua_createtable(L, static_cast<int>(o.errors.size()), 0);
  lua_Integer i = 0;
  for (const auto& e : o.errors) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, e.field.c_str());
    lua_setfield(L, -2, "field");
    lua_pushstring(L, e.message.c_str());
    lua_setfield(L, -2, "message");
    lua_rawseti(L, -2, ++i);
  }
  lua_setfield(L, -2, "errors");
  return 2;
}

static int lua_crm_emit(lua_State* L) {
  auto& run = current_run(L);
  if (run.read_only) return luaL_error(L, "crm.emit is not available here (read only)");
  WorkflowEngine::Run::Emit e;
  e.type = luaL_checkstring(L, 1);
  if (e.type.empty() || e.type.find_first_of(" *>") != std::string::npos)
    return luaL_error(L, "crm.emit: '%s' is not an event type", e.type.c_str());
  e.data = "{}";
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      e.data = to_json(L, 2);
    } catch (const std::exception& ex) {
      return luaL_error(L, "crm.emit(%s): %s", e.type.c_str(), ex.what());
    }
  }
  if (!lua_isnoneornil(L, 3)) e.subject = luaL_checkstring(L, 3);
  e.id = core::derived_uuid(run.key_base + ":emit:" + std::to_string(run.emits.size() + 1));
  run.emits.push_back(std::move(e));
  return 0;
}

static int lua_crm_start(lua_State* L) {
  auto& run = current_run(L);
  if (run.read_only) return luaL_error(L, "crm.start is not available here (read only)");
  WorkflowEngine::Run::Child child;
  child.name = luaL_checkstring(L, 1);
  child.input = "{}";
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      child.input = to_json(L, 2);
    } catch (const std::exception& ex) {
      return luaL_error(L, "crm.start(%s): %s", child.name.c_str(), ex.what());
    }
  }
  child.id = core::derived_uuid(run.key_base + ":start:" + std::to_string(run.children.size() + 1));
  lua_pushstring(L, child.id.c_str());
  run.children.push_back(std::move(child));
  return 1;
}

static int lua_crm_now(lua_State* L) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(now).count());
  return 1;
}

// crm.iso(unix seconds) -> "2026-11-23T12:00:00.000Z"
static int lua_crm_iso(lua_State* L) {
  const double seconds = luaL_checknumber(L, 1);
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0)
    return luaL_error(L, "crm.iso: %f is not a time", seconds);
  const Poco::Timestamp t(static_cast<Poco::Timestamp::TimeVal>(seconds * 1e6));
  const std::string text = Poco::DateTimeFormatter::format(t, "%Y-%m-%dT%H:%M:%S.%iZ");
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

static int lua_crm_log(lua_State* L) {
  auto& run = current_run(L);
  size_t len = 0;
  const char* text = luaL_tolstring(L, 1, &len);
  log::info("workflow", std::string(text, std::min<size_t>(len, 2000)),
            {{"workflow", run.instance->name}, {"instance", run.instance->id}});
  return 0;
}

void install_crm_api(WorkflowEngine::Compiled& compiled) {
  WorkflowEngine::Compiled* c = &compiled;
  auto installed = c->box.protect([c](lua_State* L) {
    install_crm_table(*c, L);
    return 0;
  });
  if (!installed.ok) throw std::runtime_error("cannot install the crm functions: " + installed.error);
}

void load_definition(WorkflowEngine::Compiled& c, const std::string& source, const std::string& chunk_name) {
  auto loaded = c.box.protect([&](lua_State* L) {
    auto run = c.box.run(source, chunk_name);
    if (!run.ok) {
      lua_pushstring(L, run.error.c_str());
      return lua_error(L);
    }
    if (run.results > 1) lua_pop(L, run.results - 1);
    else if (run.results == 0) lua_pushnil(L);
    c.def_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  });
  if (!loaded.ok) throw std::runtime_error(loaded.error);
}

static void install_crm_table(WorkflowEngine::Compiled& compiled, lua_State* L) {
  WorkflowEngine::Compiled* c = &compiled;
  c->box.push_environment();
  lua_newtable(L);
  const std::pair<const char*, lua_CFunction> functions[] = {
      {"call", lua_crm_call}, {"try_call", lua_crm_try_call}, {"emit", lua_crm_emit}, {"start", lua_crm_start}, {"log", lua_crm_log}};
  for (const auto& [fname, fn] : functions) {
    lua_pushlightuserdata(L, c);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, fname);
  }
  lua_pushcfunction(L, lua_crm_now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, lua_crm_iso);
  lua_setfield(L, -2, "iso");
  lua_setfield(L, -2, "crm");
  lua_pop(L, 1);
}

// Pushes ctx {instance, input, vars|results, event} for a Lua function
// (inside LuaSandbox::protect: the input may be larger than the state holds).
void push_context(lua_State* L, const WorkflowEngine::Instance& inst, const std::string& input,
                  const char* data_key, const std::string& data) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, inst.id.c_str());
  lua_setfield(L, -2, "instance");
  push_json(L, input);
  lua_setfield(L, -2, "input");
  push_json(L, data.empty() ? "{}" : data);
  lua_setfield(L, -2, data_key);
  if (!inst.event.empty()) {
    push_json(L, inst.event);
    lua_setfield(L, -2, "event");
  }
}

// ctx.results[name] = reply (JSON text) in the saga's vars {"results": {...}}.
std::string with_result(LuaSandbox& box, const std::string& vars, const std::string& step, const std::string& reply) {
  std::string out;
  auto done = box.protect([&](lua_State* L) {
    out = with_result_in(L, vars, step, reply);
    return 0;
  });
  if (!done.ok) throw std::runtime_error("the step's reply cannot be kept with the saga's data: " + done.error);
  return out;
}

static std::string with_result_in(lua_State* L, const std::string& vars, const std::string& step,
                                  const std::string& reply) {
  push_json(L, vars.empty() ? "{}" : vars);
  lua_getfield(L, -1, "results");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "results");
  }
  if (reply.empty()) lua_newtable(L);
  else push_json(L, reply);
  lua_setfield(L, -2, step.c_str());
  lua_pop(L, 1);
  std::string out = to_json(L, -1);
  lua_pop(L, 1);
  return out;
}

} // namespace crm::workflows::engine
