// LuaSandbox: see the header.
#include "workflows/LuaSandbox.hpp"

#include <cstdlib>
#include <stdexcept>

namespace crm::workflows {

namespace {

constexpr int kHookEvery = 10000; // instructions between budget checks

// Base functions a workflow may use; everything else of the base library
// (load, dofile, loadfile, require, collectgarbage, print, rawset on shared
// tables...) stays out.
const char* const kSafeBase[] = {"assert", "error",  "ipairs",   "next",     "pairs",  "pcall",        "select",
                                 "tonumber", "tostring", "type", "xpcall", "rawequal", "rawlen", "rawget",
                                 "setmetatable", "getmetatable"};

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

} // namespace

LuaSandbox::LuaSandbox(SandboxLimits limits) : limits_(limits) {
  L_ = lua_newstate(&LuaSandbox::allocate, this);
  if (!L_) throw std::runtime_error("cannot create a Lua state");
  luaL_requiref(L_, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L_, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L_, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L_, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L_, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_pop(L_, 5);
  build_environment();
}

LuaSandbox::~LuaSandbox() {
  if (L_) lua_close(L_);
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
  // The string metatable's __index is the state's own string table: point it
  // at the sandbox's copy (without dump) and lock the metatable.
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

void LuaSandbox::count_hook(lua_State* L, lua_Debug*) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  auto* self = static_cast<LuaSandbox*>(ud);
  self->instructions_ += kHookEvery;
  if (self->instructions_ > self->limits_.max_instructions) {
    self->budget_exceeded_ = true;
    lua_yield(L, 0); // out of every pcall, back to resume()
  }
}

LuaSandbox::Outcome LuaSandbox::run(const std::string& source, const std::string& chunk_name) {
  Outcome out;
  if (luaL_loadbufferx(L_, source.data(), source.size(), chunk_name.c_str(), "t") != LUA_OK) {
    out.error = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "cannot load the script";
    lua_pop(L_, 1);
    return out;
  }
  push_environment();
  if (!lua_setupvalue(L_, -2, 1)) lua_pop(L_, 1); // _ENV of the main chunk
  return call(0);
}

LuaSandbox::Outcome LuaSandbox::call(int nargs) {
  // A coroutine for the call: the hook's yield lands in resume(), not in the
  // script's pcall. The function and its arguments move onto it.
  lua_State* co = lua_newthread(L_);
  lua_insert(L_, -(nargs + 2));
  lua_xmove(L_, co, nargs + 1);
  Outcome out = resume(co, nargs);
  if (out.ok) {
    lua_xmove(co, L_, out.results);
    lua_remove(L_, -(out.results + 1)); // the thread
  } else {
    lua_pop(L_, 1);
  }
  return out;
}

LuaSandbox::Outcome LuaSandbox::resume(lua_State* co, int nargs) {
  Outcome out;
  instructions_ = 0;
  budget_exceeded_ = false;
  lua_sethook(co, &LuaSandbox::count_hook, LUA_MASKCOUNT, kHookEvery);
  int results = 0;
  int status = lua_resume(co, L_, nargs, &results);
  if (status == LUA_OK) {
    out.ok = true;
    out.results = results;
    return out;
  }
  if (status == LUA_YIELD) {
    out.error = budget_exceeded_ ? "the script ran past its instruction budget (" +
                                       std::to_string(limits_.max_instructions) + " instructions) and was stopped"
                                 : "the script yielded, which workflows may not do";
  } else if (status == LUA_ERRMEM) {
    out.error = "the script used more than its memory cap (" + std::to_string(limits_.max_memory_bytes) +
                " bytes) and was stopped";
  } else {
    out.error = lua_isstring(co, -1) ? lua_tostring(co, -1) : "the script failed";
  }
  lua_resetthread(co); // lua_closethread in Lua >= 5.4.6
  return out;
}

} // namespace crm::workflows
