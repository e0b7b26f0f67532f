// SandboxLibrary: the sandbox's own versions of the standard functions that
// would otherwise let a script slip its limits:
// - pcall and xpcall hand a stop (budget, memory cap, deadline) on instead of
//   returning it as an error the script could ignore;
// - setmetatable refuses a __gc field (Lua runs finalizers with hooks off, so
//   an endless one would hold the host);
// - string.rep checks the result's size against the memory cap before copying
//   (string.rep("", 2^62) alone loops for ages in C);
// - table.insert, remove and move count the elements they shift, and
//   table.sort each call of the comparator, against the budget.
#pragma once

#include <lua.hpp>

namespace crm::workflows {

// Replaces those functions in the environment at index `env`, whose string
// and table entries are the sandbox's own copies.
void install_sandbox_library(lua_State* L, int env);

} // namespace crm::workflows
