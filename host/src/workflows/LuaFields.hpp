// LuaFields: reading the fields of the Lua table at the top of the stack, as
// the workflow definition's parsers do (each leaves the stack as it found it).
#pragma once

#include <lua.hpp>

#include <optional>
#include <string>

namespace crm::workflows::lua_fields {

// The field `key` when it is a string.
inline std::optional<std::string> string_field(lua_State* L, const char* key) {
  lua_getfield(L, -1, key);
  std::optional<std::string> out;
  if (lua_type(L, -1) == LUA_TSTRING) out = lua_tostring(L, -1);
  lua_pop(L, 1);
  return out;
}

// The field `key` when it is an integer, else `fallback`.
inline int int_field(lua_State* L, const char* key, int fallback) {
  lua_getfield(L, -1, key);
  int out = lua_isinteger(L, -1) ? static_cast<int>(lua_tointeger(L, -1)) : fallback;
  lua_pop(L, 1);
  return out;
}

// The Lua type (LUA_T*) of the field `key`.
inline int field_type(lua_State* L, const char* key) {
  lua_getfield(L, -1, key);
  int t = lua_type(L, -1);
  lua_pop(L, 1);
  return t;
}

} // namespace crm::workflows::lua_fields
