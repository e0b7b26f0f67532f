// SandboxLibrary: see the header. The table functions follow the reference
// manual's description of table.insert, remove and move; the others wrap
// Lua's own function (kept as the closure's upvalue) with a check first.
#include "workflows/SandboxLibrary.hpp"

#include "workflows/LuaSandbox.hpp"

namespace crm::workflows {

namespace {

constexpr lua_Integer kSlice = 1024; // elements moved between budget checks

LuaSandbox& box_of(lua_State* L) { return LuaSandbox::of(L); }

// The status of a protected call made for the script: a stop goes on up.
void hand_on_stop(lua_State* L, int status) {
  LuaSandbox& box = box_of(L);
  if (status == LUA_ERRMEM && !box.stopped()) box.stop(L, LuaSandbox::Stop::Memory);
  box.raise_if_stopped(L);
}

// pcall(f, ...) -> true, results | false, error
int sandbox_pcall(lua_State* L) {
  luaL_checkany(L, 1);
  const int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  hand_on_stop(L, status);
  luaL_checkstack(L, 1, "too many results");
  if (status != LUA_OK) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  return lua_gettop(L);
}

// xpcall(f, handler, ...) -> true, results | false, handler(error)
int sandbox_xpcall(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checkstack(L, 2, "too many arguments");
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_replace(L, 1); // the handler first,
  lua_replace(L, 2); // then f and its arguments
  const int status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
  hand_on_stop(L, status);
  if (status != LUA_OK) {
    luaL_checkstack(L, 1, "too many results");
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_replace(L, 1); // over the handler
  return lua_gettop(L);
}

// Calls the wrapped original (upvalue 1) with the arguments as they are.
int call_original(lua_State* L, int results) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, results);
  return results == LUA_MULTRET ? lua_gettop(L) : results;
}

int sandbox_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "finalizers (__gc) are not available to workflows");
    lua_pop(L, 1);
  }
  return call_original(L, 1);
}

int bounded_rep(lua_State* L) {
  size_t length = 0, separator = 0;
  luaL_checklstring(L, 1, &length);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &separator);
  if (n <= 0 || length + separator == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  LuaSandbox& box = box_of(L);
  const size_t cap = box.limits().max_memory_bytes;
  if (static_cast<lua_Unsigned>(n) > cap / (length + separator) + 1) box.stop(L, LuaSandbox::Stop::Memory);
  box.charge(L, static_cast<std::uint64_t>(n));
  return call_original(L, 1);
}

// Spends the budget every kSlice elements moved.
class MoveCounter {
public:
  explicit MoveCounter(lua_State* L) : L_(L) {}
  void moved() {
    if (++count_ == kSlice) {
      box_of(L_).charge(L_, static_cast<std::uint64_t>(count_));
      count_ = 0;
    }
  }

private:
  lua_State* L_;
  lua_Integer count_ = 0;
};

// table.insert(list, [pos,] value)
int bounded_insert(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const lua_Integer first_empty = static_cast<lua_Integer>(static_cast<lua_Unsigned>(luaL_len(L, 1)) + 1u);
  lua_Integer pos = first_empty;
  switch (lua_gettop(L)) {
  case 2: break;
  case 3: {
    pos = luaL_checkinteger(L, 2);
    luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u < static_cast<lua_Unsigned>(first_empty), 2,
                  "position out of bounds");
    MoveCounter counter(L);
    for (lua_Integer i = first_empty; i > pos; --i) {
      counter.moved();
      lua_geti(L, 1, i - 1);
      lua_seti(L, 1, i);
    }
    break;
  }
  default: return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

// table.remove(list [, pos]) -> the removed value
int bounded_remove(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const lua_Integer size = luaL_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size)
    luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u <= static_cast<lua_Unsigned>(size), 2,
                  "position out of bounds");
  lua_geti(L, 1, pos);
  MoveCounter counter(L);
  for (; pos < size; ++pos) {
    counter.moved();
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

// table.move(a1, f, e, t [, a2]) -> a2: a2[t], ... = a1[f], ..., a1[e]
int bounded_move(lua_State* L) {
  const lua_Integer f = luaL_checkinteger(L, 2);
  const lua_Integer e = luaL_checkinteger(L, 3);
  const lua_Integer t = luaL_checkinteger(L, 4);
  const int destination = lua_isnoneornil(L, 5) ? 1 : 5;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, destination, LUA_TTABLE);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    const lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    MoveCounter counter(L);
    // Overlapping ranges of one table are copied from the end that is not
    // overwritten before it is read.
    const bool same_table = destination == 1 || lua_compare(L, 1, destination, LUA_OPEQ);
    if (t > e || t <= f || !same_table) {
      for (lua_Integer i = 0; i < n; ++i) {
        counter.moved();
        lua_geti(L, 1, f + i);
        lua_seti(L, destination, t + i);
      }
    } else {
      for (lua_Integer i = n - 1; i >= 0; --i) {
        counter.moved();
        lua_geti(L, 1, f + i);
        lua_seti(L, destination, t + i);
      }
    }
  }
  lua_pushvalue(L, destination);
  return 1;
}

// The comparator of table.sort, each call spent from the budget: sort's loop
// runs in C, and a cheap comparator over a large table would otherwise be
// seen only by the instruction hook.
int counted_comparison(lua_State* L) {
  box_of(L).charge(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int bounded_sort(lua_State* L) {
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, &counted_comparison, 1);
    lua_replace(L, 2);
  }
  return call_original(L, 0);
}

// t[name] = a closure of fn over the current t[name].
void wrap(lua_State* L, int table, const char* name, lua_CFunction fn) {
  lua_getfield(L, table, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, table, name);
}

} // namespace

void install_sandbox_library(lua_State* L, int env) {
  env = lua_absindex(L, env);
  lua_pushcfunction(L, &sandbox_pcall);
  lua_setfield(L, env, "pcall");
  lua_pushcfunction(L, &sandbox_xpcall);
  lua_setfield(L, env, "xpcall");
  lua_pushglobaltable(L);
  lua_getfield(L, -1, "setmetatable");
  lua_pushcclosure(L, &sandbox_setmetatable, 1);
  lua_setfield(L, env, "setmetatable");
  lua_pop(L, 1);

  lua_getfield(L, env, LUA_STRLIBNAME);
  wrap(L, lua_gettop(L), "rep", &bounded_rep);
  lua_pop(L, 1);

  lua_getfield(L, env, LUA_TABLIBNAME);
  const int table = lua_gettop(L);
  lua_pushcfunction(L, &bounded_insert);
  lua_setfield(L, table, "insert");
  lua_pushcfunction(L, &bounded_remove);
  lua_setfield(L, table, "remove");
  lua_pushcfunction(L, &bounded_move);
  lua_setfield(L, table, "move");
  wrap(L, table, "sort", &bounded_sort);
  lua_pop(L, 1);
}

} // namespace crm::workflows
