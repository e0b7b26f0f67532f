// LuaSandbox: one Lua 5.4 state for running one workflow script, with only
// what a workflow may use: pure string (without dump), table, math and utf8,
// the safe base functions, and whatever the host adds under `crm`. No io, os,
// load, dofile, debug, coroutine or require (a `require` confined to
// workflows/lib is offered separately).
//
// The boundary never lets a script take the host down or hold a core:
// - Every entry into the state (running a chunk, calling a function, pushing
//   JSON in, reading results out) goes through protect(), a protected call;
//   the panic handler throws instead of aborting, for a call made outside.
// - Three limits end a run: the memory cap, the instruction budget and a
//   wall-clock deadline. A script cannot catch the stop: the sandbox's pcall
//   and xpcall hand a stop on, and once stopped every instruction fails again.
// - What runs in C without the instruction hook is bounded too: pattern
//   matching runs on the host's own matcher (LuaPatterns), which spends the
//   same budget; the callbacks of gsub and table.sort, table.insert, remove
//   and move, and string.rep count against it as well (SandboxLibrary.cpp).
// - Finalizers (__gc) are refused: Lua runs them with hooks off.
//
// Relies on the C++ build of Lua (lua5.4-c++): a Lua error is a C++ exception,
// so the host's C++ frames it crosses unwind properly. Not thread-safe; one
// state per owner.
#pragma once

#include <lua.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace crm::workflows {

struct SandboxLimits {
  size_t max_memory_bytes = 8u << 20;          // per state
  std::uint64_t max_instructions = 50'000'000; // per entry
  std::chrono::milliseconds deadline{1000};    // per entry, wall clock

  // The host's limits (workflows.max_memory_mb, max_instructions,
  // script_deadline_ms), set once at start; these defaults until then. What
  // validation, deployment and saga checks use.
  static SandboxLimits host();
  static void set_host(const SandboxLimits& limits);
};

class LuaSandbox {
public:
  // Why a run was ended by the sandbox rather than by the script.
  enum class Stop { None, Budget, Memory, Deadline };

  // A call to the platform (crm.call) costs this much of the budget; the
  // deadline stands still while it runs (see HostCall).
  static constexpr std::uint64_t kHostCallCost = 100'000;

  explicit LuaSandbox(SandboxLimits limits = {});
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  lua_State* state() const { return L_; }
  const SandboxLimits& limits() const { return limits_; }

  struct Outcome {
    bool ok = false;
    Stop stop = Stop::None; // a limit ended it
    std::string error;      // "file:line: message" when Lua knows the place
    int results = 0;        // values left on the state's stack on success
    bool limit_reached() const { return stop != Stop::None; }
  };

  // Runs `work` inside a protected call, with the limits running: a Lua error,
  // a stop, or a std::exception thrown by `work` comes back as the outcome, and
  // the stack is as before. On success the `work`'s return value counts the
  // values it left on top, which stay. An entry inside another shares its
  // budget and deadline; the outermost one starts them afresh.
  Outcome protect(const std::function<int(lua_State*)>& work);
  // Compiles `source` as text (bytecode is refused) under `chunk_name` (used in
  // error messages: "@workflows/x.lua" style names print as "workflows/x.lua")
  // and runs it with the sandbox's environment. Results stay on the stack.
  Outcome run(const std::string& source, const std::string& chunk_name);
  // Calls the function below the `nargs` arguments at the top of the stack.
  // Pushing them may itself fail: prefer protect() around push and call.
  Outcome call(int nargs);

  // The environment table every chunk sees (push it to add functions).
  void push_environment();
  size_t memory_in_use() const { return used_; }
  // True once a Lua panic happened: the state must not be used again.
  bool broken() const { return broken_; }

  // --- For the sandbox's library functions (C functions running in this state).
  static LuaSandbox& of(lua_State* L);
  // Spends `steps` of the budget; past it, or past the deadline, the script is
  // stopped (raises the stop in L).
  void charge(lua_State* L, std::uint64_t steps);
  // Stops the script for `why` and raises the stop in L; never returns.
  [[noreturn]] void stop(lua_State* L, Stop why);
  // Raises the current stop again if there is one (pcall hands it on).
  void raise_if_stopped(lua_State* L);
  bool stopped() const { return stop_ != Stop::None; }

  // While the script waits for the platform the deadline stands still: it
  // bounds the script's own running, and an operation has bounds of its own.
  class HostCall {
  public:
    explicit HostCall(LuaSandbox& box) : box_(box), started_(std::chrono::steady_clock::now()) {}
    ~HostCall() { box_.deadline_ += std::chrono::steady_clock::now() - started_; }
    HostCall(const HostCall&) = delete;
    HostCall& operator=(const HostCall&) = delete;

  private:
    LuaSandbox& box_;
    std::chrono::steady_clock::time_point started_;
  };

private:
  static void* allocate(void* ud, void* ptr, size_t old_size, size_t new_size);
  static void count_hook(lua_State* L, lua_Debug* ar);
  static int panic(lua_State* L);
  void build_environment();
  void begin_entry();
  Outcome finish(int status, int base);
  [[noreturn]] void raise_stop(lua_State* L);
  std::string stop_message() const;

  SandboxLimits limits_;
  lua_State* L_ = nullptr;
  size_t used_ = 0;
  int env_ref_ = LUA_NOREF;
  bool broken_ = false;
  // The run in progress.
  int entries_ = 0; // nested protect/run/call
  std::uint64_t instructions_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  Stop stop_ = Stop::None;
  std::string stop_where_; // "file:line: " of the script when stopped
};

} // namespace crm::workflows
