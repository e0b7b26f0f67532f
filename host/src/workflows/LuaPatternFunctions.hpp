// LuaPatternFunctions: string.find, match, gmatch and gsub for the sandbox,
// as Lua 5.4 defines them, on the host's own bounded matcher (LuaPatterns):
// every step of matching, and every call of a gsub callback, is spent from the
// script's budget and watched by its deadline.
#pragma once

#include <lua.hpp>

namespace crm::workflows {

// Sets find, match, gmatch and gsub in the string table at `string_table`.
void install_pattern_functions(lua_State* L, int string_table);

} // namespace crm::workflows
