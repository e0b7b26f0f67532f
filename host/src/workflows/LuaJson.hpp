// LuaJson: JSON text <-> Lua values for workflow scripts. Objects become
// tables with string keys, arrays sequences (1-based, marked as arrays), null
// becomes nil. Back to JSON: a table whose keys are exactly 1..n is an array,
// any other table an object; an empty table is [] when it came from a JSON
// array, {} otherwise.
#pragma once

#include <lua.hpp>

#include <string>
#include <string_view>

namespace crm::workflows {

// Parses `json` and pushes the value; on bad text pushes nothing and throws
// std::invalid_argument. Allocates in L: call it inside LuaSandbox::protect.
void push_json(lua_State* L, std::string_view json);
// The value at `index` as JSON text; throws std::invalid_argument for what
// JSON cannot hold (functions, cycles, non-string keys that are not 1..n, NaN).
std::string to_json(lua_State* L, int index);

} // namespace crm::workflows
