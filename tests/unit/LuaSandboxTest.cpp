// LuaSandbox: runaway scripts are stopped with a clear error and the state
// stays usable; escapes through the standard library all fail.
#include "workflows/LuaSandbox.hpp"

#include <catch2/catch.hpp>

using crm::workflows::LuaSandbox;
using crm::workflows::SandboxLimits;

namespace {

// Runs `source`, returning "ok:<first result as string>" or "error:<message>".
std::string run(LuaSandbox& box, const std::string& source) {
  auto out = box.run(source, "=test");
  if (!out.ok) return "error:" + out.error;
  std::string value = out.results > 0 && lua_isstring(box.state(), -out.results)
                          ? lua_tostring(box.state(), -out.results)
                          : std::string("nil");
  lua_pop(box.state(), out.results);
  return "ok:" + value;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

} // namespace

TEST_CASE("a script computes with the pure libraries", "[sandbox]") {
  LuaSandbox box;
  CHECK(run(box, "return string.upper('ab') .. math.floor(2.5) .. table.concat({1,2}, '-') .. utf8.char(72)") ==
        "ok:AB21-2H");
}

TEST_CASE("an infinite loop is stopped by the instruction budget, even inside pcall", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000});
  auto r = run(box, "while true do end");
  CHECK(starts_with(r, "error:the script ran past its instruction budget"));
  r = run(box, "local n = 0 while true do pcall(function() while true do n = n + 1 end end) end");
  CHECK(starts_with(r, "error:the script ran past its instruction budget"));
  CHECK(run(box, "return 'still usable'") == "ok:still usable");
}

TEST_CASE("allocating without bound is stopped by the memory cap", "[sandbox]") {
  LuaSandbox box(SandboxLimits{4u << 20, 100'000'000});
  auto r = run(box, "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end");
  CHECK(starts_with(r, "error:the script used more than its memory cap"));
  CHECK(starts_with(run(box, "return string.rep('x', 1e9)"), "error:"));
  CHECK(run(box, "return 'still usable'") == "ok:still usable");
}

TEST_CASE("escapes through io, os, load, debug and require fail", "[sandbox]") {
  LuaSandbox box;
  for (const char* escape : {"return os.execute('true')", "return io.open('/etc/passwd')", "return load('return 1')()",
                             "return dofile('/etc/passwd')", "return loadfile('/etc/passwd')",
                             "return require('os')", "return debug.getinfo(1)", "return string.dump(print)",
                             "return (''):dump()", "return collectgarbage('count')", "return package.loaded"}) {
    INFO(escape);
    CHECK(starts_with(run(box, escape), "error:"));
  }
}

TEST_CASE("the string metatable cannot be replaced or reached to change the host's", "[sandbox]") {
  LuaSandbox box;
  CHECK(run(box, "return getmetatable('')") == "ok:nil"); // locked: __metatable is false
  CHECK(starts_with(run(box, "return setmetatable('', {})"), "error:"));
  // Changing the sandbox's string table changes nothing outside this state.
  CHECK(run(box, "string.upper = nil return 'x'") == "ok:x");
  LuaSandbox other;
  CHECK(run(other, "return string.upper('a')") == "ok:A");
}

TEST_CASE("bytecode is refused and a syntax error names the line", "[sandbox]") {
  LuaSandbox box;
  CHECK(starts_with(run(box, "\x1bLua"), "error:"));
  auto r = box.run("local x = 1\nlocal y = = 2\n", "@workflows/broken.lua");
  CHECK_FALSE(r.ok);
  CHECK(starts_with(r.error, "workflows/broken.lua:2:"));
}
