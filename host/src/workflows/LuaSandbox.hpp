// LuaSandbox: one Lua 5.4 state for running one workflow script, with only
// what a workflow may use: pure string (without dump), table, math and utf8,
// the safe base functions, and whatever the host adds under `crm`. No io, os,
// load, dofile, debug or require (a `require` confined to workflows/lib is
// offered separately). A memory cap and an instruction budget end a runaway
// script with a clear error; the host is unharmed.
//
// The script runs in a coroutine and the budget hook yields out of it, so
// pcall inside the script cannot swallow the stop. Each sandbox owns its state:
// nothing is shared between scripts. Not thread-safe; one per run.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace crm::workflows {

struct SandboxLimits {
  size_t max_memory_bytes = 8u << 20;         // per state
  std::uint64_t max_instructions = 50'000'000; // per run()
};

class LuaSandbox {
public:
  explicit LuaSandbox(SandboxLimits limits = {});
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  lua_State* state() const { return L_; }

  struct Outcome {
    bool ok = false;
    std::string error; // "file:line: message" when Lua knows the place
    int results = 0;   // values left on the state's stack on success
  };
  // Compiles `source` as text (bytecode is refused) under `chunk_name` (used in
  // error messages: "@workflows/x.lua" style names print as "workflows/x.lua")
  // and runs it with the sandbox's environment. Results stay on the stack.
  Outcome run(const std::string& source, const std::string& chunk_name);
  // Calls the function at the top of the stack with nargs arguments below it,
  // under the same budget and cap.
  Outcome call(int nargs);

  // The environment table every chunk sees (push it to add functions).
  void push_environment();
  size_t memory_in_use() const { return used_; }

private:
  static void* allocate(void* ud, void* ptr, size_t old_size, size_t new_size);
  static void count_hook(lua_State* L, lua_Debug* ar);
  Outcome resume(lua_State* co, int nargs);
  void build_environment();

  SandboxLimits limits_;
  lua_State* L_ = nullptr;
  size_t used_ = 0;
  std::uint64_t instructions_ = 0;
  bool budget_exceeded_ = false;
  int env_ref_ = LUA_NOREF;
};

} // namespace crm::workflows
