// WorkflowDefinition: see the header.
#include "workflows/WorkflowDefinition.hpp"
#include "workflows/LuaFields.hpp"

#include "plugins/Roles.hpp"
#include "workflows/SagaSteps.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <optional>
#include <set>

namespace crm::workflows {

namespace {

using namespace lua_fields;

// The DSL, defined in the sandbox before the script runs. __line() is the
// line of the script that called the DSL function.
const char* kPrelude = R"LUA(
local line = __line
__line = nil
manual = { __trigger = "manual" }
function on_event(event_type)
  return { __trigger = "event", event = event_type, __line = line() }
end
function step(name)
  local at = line()
  return function(spec)
    if type(spec) ~= "table" then error("step " .. tostring(name) .. " needs a table", 2) end
    spec.__step, spec.__line = name, at
    return spec
  end
end
function parallel(spec)
  if type(spec) ~= "table" then error("parallel needs a table: parallel { step \"a\" { ... }, step \"b\" { ... } }", 2) end
  spec.__parallel, spec.__line = true, line()
  return spec
end
local function declaration(kind)
  return function(name)
    local at = line()
    return function(spec)
      if type(spec) ~= "table" then error(kind .. " " .. tostring(name) .. " needs a table", 2) end
      spec.__kind, spec.__name, spec.__line = kind, name, at
      return spec
    end
  end
end
saga = declaration("saga")
workflow = declaration("workflow")
function wait(spec)
  if type(spec) ~= "table" then error("wait needs a table: wait { event = ..., on_event = ... }", 2) end
  spec.__wait, spec.__line = true, line()
  return spec
end
)LUA";

// require("name") for workflows: only workflows/lib/<name>.lua, loaded once
// per sandbox, run with the sandbox's environment.
int confined_require(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  for (const char* c = name; *c; ++c)
    if (!std::islower(static_cast<unsigned char>(*c)) && !std::isdigit(static_cast<unsigned char>(*c)) && *c != '_')
      return luaL_error(L, "require: '%s' is not a module of workflows/lib (lower_case letters, digits, _)", name);
  if (!*name) return luaL_error(L, "require: a module name is needed");
  lua_getfield(L, LUA_REGISTRYINDEX, "crm.lib.loaded");
  lua_getfield(L, -1, name);
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  const std::string path = std::string(lua_tostring(L, lua_upvalueindex(1))) + "/" + name + ".lua";
  std::ifstream in(path, std::ios::binary);
  if (!in) return luaL_error(L, "require: no module '%s' in workflows/lib", name);
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  const std::string chunk = std::string("@lib/") + name + ".lua";
  if (luaL_loadbufferx(L, source.data(), source.size(), chunk.c_str(), "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, lua_upvalueindex(2)); // the environment
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  lua_call(L, 0, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, name);
  return 1;
}

int caller_line(lua_State* L) {
  lua_Debug ar;
  // 0: this function, 1: the DSL function, 2: the script that called it.
  if (lua_getstack(L, 2, &ar) && lua_getinfo(L, "l", &ar)) lua_pushinteger(L, ar.currentline);
  else lua_pushinteger(L, 0);
  return 1;
}

// "file.lua:12: message" -> {12, "message"}; other texts -> {0, text}.
DefinitionError split_lua_error(const std::string& text, const std::string& file) {
  const std::string prefix = file + ":";
  if (text.rfind(prefix, 0) == 0) {
    size_t colon = text.find(':', prefix.size());
    if (colon != std::string::npos) {
      try {
        int line = std::stoi(text.substr(prefix.size(), colon - prefix.size()));
        std::string message = text.substr(colon + 1);
        while (!message.empty() && message.front() == ' ') message.erase(0, 1);
        return {line, message};
      } catch (const std::exception&) {
      }
    }
  }
  return {0, text};
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::islower(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

void read_trigger(lua_State* L, int decl_line, WorkflowDefinition& d, const DefinitionContext& ctx,
                  std::vector<DefinitionError>& errors) {
  lua_getfield(L, -1, "trigger");
  if (lua_isnil(L, -1)) {
    errors.push_back({decl_line, "trigger is missing: manual, or on_event \"<type>\""});
  } else if (!lua_istable(L, -1)) {
    errors.push_back({decl_line, "trigger must be manual or on_event \"<type>\""});
  } else {
    auto kind = string_field(L, "__trigger");
    int line = int_field(L, "__line", decl_line);
    if (kind == std::string("event")) {
      auto type = string_field(L, "event");
      if (!type || type->empty()) errors.push_back({line, "on_event needs an event type"});
      else if (ctx.event_type_known && !ctx.event_type_known(*type))
        errors.push_back({line, "no plugin emits or subscribes to event type '" + *type + "'"});
      else d.trigger_event = *type;
    } else if (kind != std::string("manual")) {
      errors.push_back({decl_line, "trigger must be manual or on_event \"<type>\""});
    }
  }
  lua_pop(L, 1);
}

void read_saga_api(lua_State* L, int decl_line, WorkflowDefinition& d, std::vector<DefinitionError>& errors) {
  lua_getfield(L, -1, "api");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  SagaApi& api = d.api;
  api.line = decl_line;
  if (!lua_istable(L, -1)) {
    errors.push_back({decl_line, "api must be { roles = \"ADMIN,MANAGER\", team = {...}, check = ..., dry_run = ... }"});
    lua_pop(L, 1);
    return;
  }
  api.exposed = true;
  if (auto roles = string_field(L, "roles")) {
    std::string why;
    if (!plugins::Roles::parse(*roles, &why)) errors.push_back({decl_line, "api.roles: " + why});
    else api.roles = *roles;
  } else if (field_type(L, "roles") != LUA_TNIL) {
    errors.push_back({decl_line, "api.roles must be a string such as \"ADMIN,MANAGER\""});
  }
  lua_getfield(L, -1, "team");
  if (lua_istable(L, -1)) {
    for (lua_Integer i = 1, n = luaL_len(L, -1); i <= n; ++i) {
      lua_geti(L, -1, i);
      if (lua_type(L, -1) == LUA_TSTRING) api.team.emplace_back(lua_tostring(L, -1));
      else errors.push_back({decl_line, "api.team must list input field names"});
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, -1)) {
    errors.push_back({decl_line, "api.team must list input field names: { \"fromUserId\", ... }"});
  }
  lua_pop(L, 1);
  for (const char* fn : {"check", "dry_run"}) {
    const int t = field_type(L, fn);
    if (t != LUA_TNIL && t != LUA_TFUNCTION) errors.push_back({decl_line, std::string("api.") + fn + " must be a function"});
    (std::string(fn) == "check" ? api.check : api.dry_run) = t == LUA_TFUNCTION;
  }
  lua_pop(L, 1);
}

void read_saga(lua_State* L, int decl_line, WorkflowDefinition& d, const DefinitionContext& ctx,
               std::vector<DefinitionError>& errors) {
  read_saga_api(L, decl_line, d, errors);
  lua_getfield(L, -1, "steps");
  if (!lua_istable(L, -1) || luaL_len(L, -1) == 0) {
    errors.push_back({decl_line, "a saga needs steps = { step \"name\" { call = \"plugin.operation\", ... }, ... }"});
    lua_pop(L, 1);
    return;
  }
  read_saga_steps(L, decl_line, d, ctx, errors);
  lua_pop(L, 1);
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

// The wait table at the top of the stack.
WaitSpec read_wait(lua_State* L, const std::string& state, int decl_line, const DefinitionContext& ctx,
                   std::vector<DefinitionError>& errors) {
  WaitSpec w;
  w.line = int_field(L, "__line", decl_line);
  const std::string where = "state '" + state + "': ";
  lua_getfield(L, -1, "event");
  if (lua_type(L, -1) == LUA_TSTRING) {
    w.events.emplace_back(lua_tostring(L, -1));
  } else if (lua_istable(L, -1)) {
    for (lua_Integer i = 1; i <= luaL_len(L, -1); ++i) {
      lua_geti(L, -1, i);
      if (lua_type(L, -1) == LUA_TSTRING) w.events.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (w.events.empty()) errors.push_back({w.line, where + "wait needs event = \"<type>\" or a list of types"});
  for (const auto& type : w.events)
    if (ctx.event_type_known && !ctx.event_type_known(type))
      errors.push_back({w.line, where + "no plugin emits or subscribes to event type '" + type + "'"});
  const int key_type = field_type(L, "key");
  if (key_type == LUA_TSTRING) w.key_var = *string_field(L, "key");
  else if (key_type != LUA_TFUNCTION)
    errors.push_back({w.line, where + "wait needs key = \"<variable>\" or key = function(ctx) ... end"});
  const std::string match = string_field(L, "match").value_or("subject");
  w.match_path = split_path(match);
  if (match != "subject" && (w.match_path.size() < 2 || w.match_path[0] != "data"))
    errors.push_back({w.line, where + "match must be \"subject\" or \"data.<field>\""});
  lua_getfield(L, -1, "on_event");
  if (lua_type(L, -1) == LUA_TSTRING) {
    for (const auto& type : w.events) w.on_event[type] = lua_tostring(L, -1);
  } else if (lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING)
        w.on_event[lua_tostring(L, -2)] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  for (const auto& type : w.events)
    if (!w.on_event.count(type)) errors.push_back({w.line, where + "on_event names no next state for '" + type + "'"});
  if (auto timeout = string_field(L, "timeout")) {
    w.timeout_seconds = parse_duration(*timeout);
    if (w.timeout_seconds < 0) errors.push_back({w.line, where + "timeout must look like 30s, 15m, 48h or 2d"});
    w.on_timeout = string_field(L, "on_timeout").value_or("");
    if (w.on_timeout.empty()) errors.push_back({w.line, where + "a timeout needs on_timeout = \"<state>\""});
  } else if (field_type(L, "on_timeout") != LUA_TNIL) {
    errors.push_back({w.line, where + "on_timeout needs timeout = \"<duration>\""});
  }
  return w;
}

void read_state_machine(lua_State* L, int decl_line, WorkflowDefinition& d, const DefinitionContext& ctx,
                        std::vector<DefinitionError>& errors) {
  lua_getfield(L, -1, "states");
  if (!lua_istable(L, -1)) {
    errors.push_back({decl_line, "a workflow needs states = { <name> = function(ctx) ... end, ... }"});
    lua_pop(L, 1);
    return;
  }
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      errors.push_back({decl_line, "state names must be strings"});
    } else {
      std::string name = lua_tostring(L, -2);
      if (lua_istable(L, -1) && field_type(L, "__wait") == LUA_TBOOLEAN)
        d.waits[name] = read_wait(L, name, decl_line, ctx, errors);
      else if (!lua_isfunction(L, -1))
        errors.push_back({decl_line, "state '" + name + "' must be a function(ctx) or wait { ... }"});
      d.states.push_back(std::move(name));
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  auto start = string_field(L, "start");
  if (!start) errors.push_back({decl_line, "start = \"<state>\" is missing"});
  else if (std::find(d.states.begin(), d.states.end(), *start) == d.states.end())
    errors.push_back({decl_line, "start state '" + *start + "' is not among the states"});
  else d.start = *start;
  std::sort(d.states.begin(), d.states.end());
  auto known = [&d](const std::string& state) { return std::binary_search(d.states.begin(), d.states.end(), state); };
  for (const auto& [name, w] : d.waits) {
    for (const auto& [type, next] : w.on_event)
      if (!known(next)) errors.push_back({w.line, "state '" + name + "': on_event goes to unknown state '" + next + "'"});
    if (!w.on_timeout.empty() && !known(w.on_timeout))
      errors.push_back({w.line, "state '" + name + "': on_timeout goes to unknown state '" + w.on_timeout + "'"});
  }
}

// The declaration at the top of the stack, read into d.
void read_declaration(lua_State* L, const std::string& file, const DefinitionContext& context, WorkflowDefinition& d,
                      std::vector<DefinitionError>& errors) {
  const int decl_line = int_field(L, "__line", 0);
  d.kind = *string_field(L, "__kind") == "saga" ? WorkflowDefinition::Kind::Saga : WorkflowDefinition::Kind::StateMachine;
  d.name = string_field(L, "__name").value_or("");
  std::string expected = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  if (expected.size() > 4 && expected.compare(expected.size() - 4, 4, ".lua") == 0) expected.resize(expected.size() - 4);
  if (!valid_name(d.name)) errors.push_back({decl_line, "the name must be lower_case letters, digits and _"});
  else if (d.name != expected)
    errors.push_back({decl_line, "the workflow is named '" + d.name + "' but its file is " + expected + ".lua"});
  d.runs_as = string_field(L, "runs_as").value_or("system");
  if (d.runs_as != "system") errors.push_back({decl_line, "runs_as must be \"system\""});
  read_trigger(L, decl_line, d, context, errors);
  if (d.kind == WorkflowDefinition::Kind::Saga) read_saga(L, decl_line, d, context, errors);
  else read_state_machine(L, decl_line, d, context, errors);
}

} // namespace

long long parse_duration(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 9) return -1;
  const long long n = std::stoll(text.substr(0, i));
  const std::string unit = text.substr(i);
  if (unit == "ms") return n / 1000;
  if (unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return -1;
}

std::string install_dsl(LuaSandbox& box, const std::filesystem::path& lib_dir) {
  std::string failure;
  auto installed = box.protect([&](lua_State* L) {
    box.push_environment();
    lua_pushcfunction(L, &caller_line);
    lua_setfield(L, -2, "__line");
    if (!lib_dir.empty()) {
      lua_newtable(L);
      lua_setfield(L, LUA_REGISTRYINDEX, "crm.lib.loaded");
      lua_pushstring(L, lib_dir.string().c_str());
      lua_pushvalue(L, -2);
      lua_pushcclosure(L, &confined_require, 2);
      lua_setfield(L, -2, "require");
    }
    lua_pop(L, 1);
    if (auto prelude = box.run(kPrelude, "=prelude"); !prelude.ok) failure = "internal: " + prelude.error;
    return 0;
  });
  if (!installed.ok) return "internal: " + installed.error;
  return failure;
}

DefinitionCheck check_definition(const std::string& source, const std::string& file, const DefinitionContext& context,
                                 SandboxLimits limits) {
  DefinitionCheck check;
  auto& errors = check.errors;
  LuaSandbox box(limits);
  // One entry for the whole check: the DSL, the script and the reading of
  // what it returned share one budget and one deadline, and a metamethod the
  // script planted runs under them too.
  auto checked = box.protect([&](lua_State* L) {
    if (auto failed = install_dsl(box, context.lib_dir); !failed.empty()) {
      errors.push_back({0, failed});
      return 0;
    }
    auto run = box.run(source, "@" + file);
    if (!run.ok) {
      errors.push_back(split_lua_error(run.error, file));
      return 0;
    }
    if (run.results > 1) lua_pop(L, run.results - 1); // only the first result counts
    if (run.results < 1 || !lua_istable(L, -1) || field_type(L, "__kind") != LUA_TSTRING) {
      errors.push_back({0, "the file must return saga \"<name>\" { ... } or workflow \"<name>\" { ... }"});
      return 0;
    }
    read_declaration(L, file, context, check.definition, errors);
    return 0;
  });
  if (!checked.ok) errors.push_back(split_lua_error(checked.error, file));
  return check;
}

} // namespace crm::workflows
