// SagaSteps: see the header. Also the retry policy's arithmetic, which the
// engine applies when a step fails.
#include "workflows/SagaSteps.hpp"
#include "workflows/LuaFields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <set>

namespace crm::workflows {

namespace {

using namespace lua_fields;

// More branches than this in one group is a design mistake, not a workload:
// each branch's call holds a thread while it runs.
constexpr lua_Integer kMaxBranches = 16;

int line_of(lua_State* L, int fallback) { return int_field(L, "__line", fallback); }

bool is_step(lua_State* L) { return lua_istable(L, -1) && field_type(L, "__step") == LUA_TSTRING; }
bool is_parallel(lua_State* L) { return lua_istable(L, -1) && field_type(L, "__parallel") == LUA_TBOOLEAN; }

// The retry table at the top of the stack, into s.
void read_retry(lua_State* L, SagaStep& s, std::vector<DefinitionError>& errors) {
  const std::string where = "step '" + s.name + "': ";
  lua_getfield(L, -1, "attempts");
  if (lua_isinteger(L, -1)) s.attempts = static_cast<int>(lua_tointeger(L, -1));
  lua_pop(L, 1);
  if (s.attempts < 1 || s.attempts > 100) errors.push_back({s.line, where + "retry.attempts must be from 1 to 100"});
  if (auto delay = string_field(L, "delay")) {
    if (parse_duration_ms(*delay) < 0)
      errors.push_back({s.line, where + "retry.delay must look like 500ms, 30s, 5m, 2h or 1d"});
    else s.delay = *delay;
  } else if (field_type(L, "delay") != LUA_TNIL) {
    errors.push_back({s.line, where + "retry.delay must look like 500ms, 30s, 5m, 2h or 1d"});
  }
  lua_getfield(L, -1, "backoff");
  if (lua_isnumber(L, -1)) {
    s.backoff = lua_tonumber(L, -1);
    if (!std::isfinite(s.backoff) || s.backoff < 1 || s.backoff > 10)
      errors.push_back({s.line, where + "retry.backoff must be a number from 1 to 10 (each wait is that many times the last)"});
  } else if (!lua_isnil(L, -1)) {
    errors.push_back({s.line, where + "retry.backoff must be a number from 1 to 10"});
  }
  lua_pop(L, 1);
  if (auto cap = string_field(L, "max_delay")) {
    if (parse_duration_ms(*cap) < 0)
      errors.push_back({s.line, where + "retry.max_delay must look like 500ms, 30s, 5m, 2h or 1d"});
    else s.max_delay = *cap;
  } else if (field_type(L, "max_delay") != LUA_TNIL) {
    errors.push_back({s.line, where + "retry.max_delay must look like 500ms, 30s, 5m, 2h or 1d"});
  }
  lua_getfield(L, -1, "on");
  if (lua_istable(L, -1)) {
    const auto& known = failure_status_names();
    for (lua_Integer i = 1, n = luaL_len(L, -1); i <= n; ++i) {
      lua_geti(L, -1, i);
      const std::string name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : std::string();
      lua_pop(L, 1);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        errors.push_back({s.line, where + "retry.on: '" + name + "' is not a failure status (" + list + ")"});
      } else {
        s.retry_on.push_back(name);
      }
    }
    if (luaL_len(L, -1) == 0) errors.push_back({s.line, where + "retry.on must name at least one status"});
  } else if (!lua_isnil(L, -1)) {
    errors.push_back({s.line, where + "retry.on must list failure statuses: { \"UNAVAILABLE\", ... }"});
  }
  lua_pop(L, 1);
}

// The step table at the top of the stack.
SagaStep read_step(lua_State* L, int decl_line, const DefinitionContext& ctx, std::vector<DefinitionError>& errors) {
  SagaStep s;
  s.name = *string_field(L, "__step");
  s.line = line_of(L, decl_line);
  auto call = string_field(L, "call");
  if (!call) errors.push_back({s.line, "step '" + s.name + "' needs call = \"plugin.operation\""});
  else if (ctx.operation_exists && !ctx.operation_exists(*call))
    errors.push_back({s.line, "step '" + s.name + "' calls unknown operation '" + *call + "'"});
  else s.call = *call;
  if (auto comp = string_field(L, "compensate")) {
    if (ctx.operation_exists && !ctx.operation_exists(*comp))
      errors.push_back({s.line, "step '" + s.name + "' compensates with unknown operation '" + *comp + "'"});
    else s.compensate = *comp;
  }
  for (const char* fn : {"input", "compensate_input"}) {
    int t = field_type(L, fn);
    if (t != LUA_TNIL && t != LUA_TFUNCTION && t != LUA_TTABLE)
      errors.push_back({s.line, "step '" + s.name + "': " + fn + " must be a table or a function(data)"});
  }
  lua_getfield(L, -1, "batched");
  if (lua_isboolean(L, -1)) s.batched = lua_toboolean(L, -1);
  else if (!lua_isnil(L, -1)) errors.push_back({s.line, "step '" + s.name + "': batched must be true or false"});
  lua_pop(L, 1);
  lua_getfield(L, -1, "retry");
  if (lua_istable(L, -1)) read_retry(L, s, errors);
  else if (!lua_isnil(L, -1))
    errors.push_back({s.line, "step '" + s.name + "': retry must be { attempts = N, delay = \"1s\", ... }"});
  lua_pop(L, 1);
  return s;
}

// The parallel table at the top of the stack: its steps join d.steps as one group.
void read_parallel(lua_State* L, int decl_line, lua_Integer index, WorkflowDefinition& d, const DefinitionContext& ctx,
                   std::set<std::string>& names, std::vector<DefinitionError>& errors) {
  const int line = line_of(L, decl_line);
  const lua_Integer n = luaL_len(L, -1);
  if (n == 0) {
    errors.push_back({line, "parallel needs steps: parallel { step \"a\" { ... }, step \"b\" { ... } }"});
    return;
  }
  if (n > kMaxBranches)
    errors.push_back({line, "parallel has " + std::to_string(n) + " steps; at most " + std::to_string(kMaxBranches)});
  const int first = static_cast<int>(d.steps.size());
  for (lua_Integer j = 1; j <= n; ++j) {
    lua_geti(L, -1, j);
    if (is_parallel(L)) {
      errors.push_back({line_of(L, line), "a parallel cannot hold another parallel: put its steps in the outer one"});
    } else if (!is_step(L)) {
      errors.push_back({line, "parallel: item " + std::to_string(j) + " is not declared with step \"name\" { ... }"});
    } else {
      SagaStep s = read_step(L, line, ctx, errors);
      if (!names.insert(s.name).second) errors.push_back({s.line, "step '" + s.name + "' is declared twice"});
      if (s.batched)
        errors.push_back({s.line, "step '" + s.name + "': a batched step cannot run in parallel; put it before or after"});
      s.lua_index = static_cast<int>(index);
      s.branch = static_cast<int>(j);
      s.group = first;
      d.steps.push_back(std::move(s));
    }
    lua_pop(L, 1);
  }
  for (size_t i = static_cast<size_t>(first); i < d.steps.size(); ++i)
    d.steps[i].group_size = static_cast<int>(d.steps.size()) - first;
}

} // namespace

void read_saga_steps(lua_State* L, int decl_line, WorkflowDefinition& d, const DefinitionContext& ctx,
                     std::vector<DefinitionError>& errors) {
  std::set<std::string> names;
  const lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_geti(L, -1, i);
    if (is_parallel(L)) {
      read_parallel(L, decl_line, i, d, ctx, names, errors);
    } else if (!is_step(L)) {
      errors.push_back({decl_line, "step " + std::to_string(i) + " is not declared with step \"name\" { ... }"});
    } else {
      SagaStep s = read_step(L, decl_line, ctx, errors);
      if (!names.insert(s.name).second) errors.push_back({s.line, "step '" + s.name + "' is declared twice"});
      s.lua_index = static_cast<int>(i);
      d.steps.push_back(std::move(s));
    }
    lua_pop(L, 1);
  }
}

long long parse_duration_ms(const std::string& text) {
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    const std::string digits = text.substr(0, text.size() - 2);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return -1;
    return std::stoll(digits);
  }
  const long long seconds = parse_duration(text);
  return seconds < 0 ? -1 : seconds * 1000;
}

const std::vector<std::string>& failure_status_names() {
  // The names crm.try_call gives a failed call's status (EngineLua.cpp).
  static const std::vector<std::string> names = {"INVALID",         "NOT_FOUND",    "CONFLICT", "FORBIDDEN",
                                                 "UNAVAILABLE",     "INTERNAL",     "UNAUTHENTICATED",
                                                 "RATE_LIMITED"};
  return names;
}

bool retries_on(const SagaStep& step, const std::string& status) {
  return step.retry_on.empty() || std::find(step.retry_on.begin(), step.retry_on.end(), status) != step.retry_on.end();
}

long long retry_delay_ms(const SagaStep& step, int failures) {
  double ms = static_cast<double>(std::max(0LL, parse_duration_ms(step.delay)));
  for (int i = 1; i < failures && ms < 1e12; ++i) ms *= step.backoff;
  if (!step.max_delay.empty()) ms = std::min(ms, static_cast<double>(std::max(0LL, parse_duration_ms(step.max_delay))));
  return std::max(1LL, static_cast<long long>(std::min(ms, 1e12)));
}

} // namespace crm::workflows
