// LuaJson: see the header.
#include "workflows/LuaJson.hpp"

#include "core/JsonText.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace crm::workflows {

namespace {

constexpr const char* kArrayMark = "crm.json.array";

bool marked_array(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return false;
  luaL_getmetatable(L, kArrayMark);
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

void push_var(lua_State* L, const Poco::Dynamic::Var& v, int depth) {
  if (depth > 64) throw std::invalid_argument("JSON nested too deeply");
  luaL_checkstack(L, 4, "JSON nested too deeply");
  if (v.isEmpty()) {
    lua_pushnil(L);
  } else if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto o = v.extract<Poco::JSON::Object::Ptr>();
    lua_createtable(L, 0, static_cast<int>(o->size()));
    for (const auto& [key, value] : *o) {
      push_var(L, value, depth + 1);
      lua_setfield(L, -2, key.c_str());
    }
  } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto a = v.extract<Poco::JSON::Array::Ptr>();
    lua_createtable(L, static_cast<int>(a->size()), 0);
    for (unsigned i = 0; i < a->size(); ++i) {
      push_var(L, a->get(i), depth + 1);
      lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
    }
    // Marked, so that an empty one goes back as [] rather than {}. The mark
    // is shared by every array of the state: locked, so a script can neither
    // read nor change it (a __gc added to it would run with hooks off).
    if (luaL_newmetatable(L, kArrayMark)) {
      lua_pushboolean(L, 0);
      lua_setfield(L, -2, "__metatable");
    }
    lua_setmetatable(L, -2);
  } else if (v.isBoolean()) {
    lua_pushboolean(L, v.extract<bool>());
  } else if (v.isString()) {
    const std::string& s = v.extract<std::string>();
    lua_pushlstring(L, s.data(), s.size());
  } else if (v.isInteger()) {
    lua_pushinteger(L, v.convert<lua_Integer>());
  } else if (v.isNumeric()) {
    lua_pushnumber(L, v.convert<double>());
  } else {
    const std::string s = v.convert<std::string>();
    lua_pushlstring(L, s.data(), s.size());
  }
}

void write(lua_State* L, int index, std::string& out, int depth) {
  if (depth > 64) throw std::invalid_argument("a value nested too deeply (or a cycle) cannot become JSON");
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
  case LUA_TNIL: out += "null"; return;
  case LUA_TBOOLEAN: out += lua_toboolean(L, index) ? "true" : "false"; return;
  case LUA_TNUMBER:
    if (lua_isinteger(L, index)) {
      out += std::to_string(lua_tointeger(L, index));
    } else {
      const double d = lua_tonumber(L, index);
      if (!std::isfinite(d)) throw std::invalid_argument("NaN and infinity cannot become JSON");
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.17g", d);
      out += buffer;
    }
    return;
  case LUA_TSTRING: {
    size_t len = 0;
    const char* s = lua_tolstring(L, index, &len);
    core::append_json_string(out, std::string_view(s, len));
    return;
  }
  case LUA_TTABLE: break;
  default: throw std::invalid_argument(std::string("a ") + luaL_typename(L, index) + " cannot become JSON");
  }
  luaL_checkstack(L, 4, "JSON nested too deeply");
  // An array when the keys are exactly 1..n.
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  lua_Integer keys = 0;
  bool only_strings = true;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++keys;
    if (lua_type(L, -2) != LUA_TSTRING) only_strings = false;
    lua_pop(L, 1);
  }
  if (keys == 0) {
    out += marked_array(L, index) ? "[]" : "{}";
  } else if (n > 0 && keys == n) {
    out += '[';
    for (lua_Integer i = 1; i <= n; ++i) {
      if (i > 1) out += ',';
      lua_rawgeti(L, index, i);
      write(L, -1, out, depth + 1);
      lua_pop(L, 1);
    }
    out += ']';
  } else if (only_strings) {
    // Sorted keys: the same table always gives the same text.
    std::vector<std::string> names;
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
      names.emplace_back(lua_tostring(L, -2));
      lua_pop(L, 1);
    }
    std::sort(names.begin(), names.end());
    out += '{';
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out += ',';
      core::append_json_string(out, names[i]);
      out += ':';
      lua_getfield(L, index, names[i].c_str());
      write(L, -1, out, depth + 1);
      lua_pop(L, 1);
    }
    out += '}';
  } else {
    throw std::invalid_argument("a table mixing list items and other keys cannot become JSON");
  }
}

} // namespace

void push_json(lua_State* L, std::string_view json) {
  Poco::JSON::Parser parser;
  Poco::Dynamic::Var v;
  try {
    v = parser.parse(std::string(json));
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("not JSON: " + e.displayText());
  }
  push_var(L, v, 0);
}

std::string to_json(lua_State* L, int index) {
  std::string out;
  write(L, index, out, 0);
  return out;
}

} // namespace crm::workflows
