// LuaSandbox: see the header.
#include "workflows/LuaSandbox.hpp"

#include "workflows/LuaPatternFunctions.hpp"
#include "workflows/SandboxLibrary.hpp"

#include <cstdlib>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace crm::workflows {

namespace {

constexpr int kHookEvery = 10000; // instructions between budget and deadline checks

// Base functions a workflow may use; everything else of the base library
// (load, dofile, loadfile, require, collectgarbage, print, ...) stays out.
// pcall, xpcall and setmetatable are the sandbox's own (SandboxLibrary).
const char* const kSafeBase[] = {"assert", "error", "ipairs", "next", "pairs", "select", "tonumber", "tostring",
                                 "type", "rawequal", "rawlen", "rawget", "getmetatable"};

std::mutex host_limits_mutex;
SandboxLimits host_limits;

// Copies library `name` from the registry's loaded table into a fresh table
// in `env`, leaving out `skip` (string.dump).
void copy_library(lua_State* L, int env, const char* name, const char* skip = nullptr) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, name);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, -3) != 0) {
    if (skip && lua_type(L, -2) == LUA_TSTRING && std::string_view(lua_tostring(L, -2)) == skip) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_setfield(L, env, name);
  lua_pop(L, 2);
}

// A job for protect(): the work, run as a C function inside lua_pcall.
struct ProtectedWork {
  const std::function<int(lua_State*)>* work = nullptr;
};

int run_protected(lua_State* L) {
  auto* job = static_cast<ProtectedWork*>(lua_touserdata(L, 1));
  lua_remove(L, 1);
  std::string failure;
  try {
    return (*job->work)(L);
  } catch (const std::exception& e) {
    // A C++ exception must not cross Lua's frames as one: Lua would lose it.
    failure = e.what();
  }
  lua_pushlstring(L, failure.data(), failure.size());
  return lua_error(L);
}

// Counts the entries in progress, for the life of one.
struct EntryDepth {
  explicit EntryDepth(int& n) : n_(n) { ++n_; }
  ~EntryDepth() { --n_; }
  EntryDepth(const EntryDepth&) = delete;
  EntryDepth& operator=(const EntryDepth&) = delete;
  int& n_;
};

// "file:line: " of the innermost Lua function running in L, if any.
std::string script_position(lua_State* L) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); ++level) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
      return std::string(ar.short_src) + ":" + std::to_string(ar.currentline) + ": ";
  }
  return {};
}

} // namespace

SandboxLimits SandboxLimits::host() {
  std::lock_guard lock(host_limits_mutex);
  return host_limits;
}

void SandboxLimits::set_host(const SandboxLimits& limits) {
  std::lock_guard lock(host_limits_mutex);
  host_limits = limits;
}

LuaSandbox::LuaSandbox(SandboxLimits limits) : limits_(limits) {
  L_ = lua_newstate(&LuaSandbox::allocate, this);
  if (!L_) throw std::runtime_error("cannot create a Lua state");
  lua_atpanic(L_, &LuaSandbox::panic);
  auto opened = protect([this](lua_State* L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_pop(L, 5);
    build_environment();
    return 0;
  });
  if (!opened.ok) {
    lua_close(L_);
    throw std::runtime_error("cannot prepare a Lua state: " + opened.error);
  }
}

LuaSandbox::~LuaSandbox() {
  if (L_) lua_close(L_);
}

LuaSandbox& LuaSandbox::of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return *static_cast<LuaSandbox*>(ud);
}

void* LuaSandbox::allocate(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* self = static_cast<LuaSandbox*>(ud);
  const size_t old_block = ptr ? old_size : 0;
  if (new_size == 0) {
    self->used_ -= old_block;
    std::free(ptr);
    return nullptr;
  }
  if (new_size > old_block && self->used_ - old_block + new_size > self->limits_.max_memory_bytes) return nullptr;
  void* p = std::realloc(ptr, new_size);
  if (p) self->used_ = self->used_ - old_block + new_size;
  return p;
}

// Lua calls this for an error raised outside any protected call, then aborts
// if it returns: it never returns. The state is left as unusable.
int LuaSandbox::panic(lua_State* L) {
  LuaSandbox& box = of(L);
  box.broken_ = true;
  const char* message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "an error outside a protected call";
  throw std::runtime_error(std::string("Lua state failed outside a protected call: ") + message);
}

void LuaSandbox::build_environment() {
  lua_newtable(L_);
  const int env = lua_gettop(L_);
  lua_pushglobaltable(L_);
  for (const char* name : kSafeBase) {
    lua_getfield(L_, -1, name);
    lua_setfield(L_, env, name);
  }
  lua_pop(L_, 1);
  copy_library(L_, env, LUA_STRLIBNAME, "dump");
  copy_library(L_, env, LUA_TABLIBNAME);
  copy_library(L_, env, LUA_MATHLIBNAME);
  copy_library(L_, env, LUA_UTF8LIBNAME);
  install_sandbox_library(L_, env);
  lua_getfield(L_, env, LUA_STRLIBNAME);
  install_pattern_functions(L_, lua_gettop(L_));
  lua_pop(L_, 1);
  // The string metatable's __index is the state's own string table: point it
  // at the sandbox's copy (without dump, with the bounded patterns) and lock
  // the metatable.
  lua_pushliteral(L_, "");
  lua_getmetatable(L_, -1);
  lua_getfield(L_, env, LUA_STRLIBNAME);
  lua_setfield(L_, -2, "__index");
  lua_pushboolean(L_, 0);
  lua_setfield(L_, -2, "__metatable");
  lua_pop(L_, 2);
  lua_pushvalue(L_, env);
  lua_setfield(L_, env, "_G");
  env_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
}

void LuaSandbox::push_environment() { lua_rawgeti(L_, LUA_REGISTRYINDEX, env_ref_); }

void LuaSandbox::begin_entry() {
  if (entries_ > 0) return; // inside another entry: its budget and deadline
  instructions_ = 0;
  stop_ = Stop::None;
  stop_where_.clear();
  deadline_ = std::chrono::steady_clock::now() + limits_.deadline;
  lua_sethook(L_, &LuaSandbox::count_hook, LUA_MASKCOUNT, kHookEvery);
}

void LuaSandbox::count_hook(lua_State* L, lua_Debug*) {
  LuaSandbox& box = of(L);
  if (box.stop_ == Stop::None) {
    box.instructions_ += kHookEvery;
    if (box.instructions_ > box.limits_.max_instructions) box.stop(L, Stop::Budget);
    if (std::chrono::steady_clock::now() > box.deadline_) box.stop(L, Stop::Deadline);
    return;
  }
  box.raise_if_stopped(L); // stopped: every instruction fails again
}

void LuaSandbox::charge(lua_State* L, std::uint64_t steps) {
  if (stop_ != Stop::None) raise_if_stopped(L);
  instructions_ += steps;
  if (instructions_ > limits_.max_instructions) stop(L, Stop::Budget);
  if (std::chrono::steady_clock::now() > deadline_) stop(L, Stop::Deadline);
}

void LuaSandbox::stop(lua_State* L, Stop why) {
  if (stop_ == Stop::None) {
    stop_ = why;
    stop_where_ = script_position(L);
    // From now on the hook runs at every instruction and fails it: a script
    // that caught the error some other way gets no further.
    lua_sethook(L_, &LuaSandbox::count_hook, LUA_MASKCOUNT, 1);
  }
  raise_stop(L);
}

void LuaSandbox::raise_if_stopped(lua_State* L) {
  if (stop_ != Stop::None) raise_stop(L);
}

void LuaSandbox::raise_stop(lua_State* L) {
  const std::string message = stop_message();
  lua_pushlstring(L, message.data(), message.size());
  lua_error(L);
  throw std::logic_error("lua_error returned"); // not reached: the C++ build of Lua throws
}

std::string LuaSandbox::stop_message() const {
  switch (stop_) {
  case Stop::Budget:
    return stop_where_ + "the script ran past its instruction budget (" + std::to_string(limits_.max_instructions) +
           " instructions) and was stopped";
  case Stop::Memory:
    return stop_where_ + "the script used more than its memory cap (" + std::to_string(limits_.max_memory_bytes) +
           " bytes) and was stopped";
  case Stop::Deadline:
    return stop_where_ + "the script ran past its deadline (" + std::to_string(limits_.deadline.count()) +
           " ms) and was stopped";
  case Stop::None: break;
  }
  return {};
}

LuaSandbox::Outcome LuaSandbox::finish(int status, int base) {
  Outcome out;
  if (status == LUA_OK) {
    out.ok = true;
    out.results = lua_gettop(L_) - base;
    return out;
  }
  if (status == LUA_ERRMEM && stop_ == Stop::None) {
    // Past the cap in the host's own pushes, or in a script outside any pcall.
    stop_ = Stop::Memory;
    lua_sethook(L_, &LuaSandbox::count_hook, LUA_MASKCOUNT, 1);
  }
  out.stop = stop_;
  if (stop_ != Stop::None) out.error = stop_message();
  else if (lua_type(L_, -1) == LUA_TSTRING || lua_type(L_, -1) == LUA_TNUMBER) out.error = lua_tostring(L_, -1);
  else out.error = std::string("the script failed with a ") + luaL_typename(L_, -1) + " as its error";
  lua_settop(L_, base);
  return out;
}

LuaSandbox::Outcome LuaSandbox::protect(const std::function<int(lua_State*)>& work) {
  if (broken_) return Outcome{false, Stop::None, "the Lua state failed earlier and cannot be used", 0};
  if (!lua_checkstack(L_, 2)) return Outcome{false, Stop::Memory, "no room on the Lua stack", 0};
  begin_entry();
  EntryDepth depth(entries_);
  const int base = lua_gettop(L_);
  ProtectedWork job{&work};
  lua_pushcfunction(L_, &run_protected);
  lua_pushlightuserdata(L_, &job);
  const int status = lua_pcall(L_, 1, LUA_MULTRET, 0);
  return finish(status, base);
}

LuaSandbox::Outcome LuaSandbox::run(const std::string& source, const std::string& chunk_name) {
  return protect([&](lua_State* L) {
    const int status = luaL_loadbufferx(L, source.data(), source.size(), chunk_name.c_str(), "t");
    if (status == LUA_ERRMEM) stop(L, Stop::Memory);
    if (status != LUA_OK) return lua_error(L);
    push_environment();
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1); // _ENV of the main chunk
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L);
  });
}

LuaSandbox::Outcome LuaSandbox::call(int nargs) {
  if (broken_) return Outcome{false, Stop::None, "the Lua state failed earlier and cannot be used", 0};
  begin_entry();
  EntryDepth depth(entries_);
  const int base = lua_gettop(L_) - nargs - 1;
  const int status = lua_pcall(L_, nargs, LUA_MULTRET, 0);
  return finish(status, base);
}

} // namespace crm::workflows
