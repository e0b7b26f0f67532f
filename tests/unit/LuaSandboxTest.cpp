// LuaSandbox: runaway scripts are stopped with a clear error and the state
// stays usable; escapes through the standard library all fail; no script, and
// no error outside a protected call, takes the process down.
#include "workflows/LuaJson.hpp"
#include "workflows/LuaSandbox.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>

using crm::workflows::LuaSandbox;
using crm::workflows::push_json;
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
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Runs `source` and says how long it took.
std::string timed_run(LuaSandbox& box, const std::string& source, std::chrono::milliseconds& took) {
  const auto started = std::chrono::steady_clock::now();
  std::string r = run(box, source);
  took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return r;
}

} // namespace

TEST_CASE("a script computes with the pure libraries", "[sandbox]") {
  LuaSandbox box;
  CHECK(run(box, "return string.upper('ab') .. math.floor(2.5) .. table.concat({1,2}, '-') .. utf8.char(72)") ==
        "ok:AB21-2H");
}

TEST_CASE("an infinite loop is stopped by the instruction budget, even inside pcall", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000});
  auto r = run(box, "while true do end");
  CHECK(starts_with(r, "error:test:1: the script ran past its instruction budget"));
  r = run(box, "local n = 0 while true do pcall(function() while true do n = n + 1 end end) end");
  CHECK(contains(r, "the script ran past its instruction budget"));
  CHECK(run(box, "return 'still usable'") == "ok:still usable");
}

TEST_CASE("allocating without bound is stopped by the memory cap", "[sandbox]") {
  LuaSandbox box(SandboxLimits{4u << 20, 100'000'000});
  auto r = run(box, "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end");
  CHECK(contains(r, "the script used more than its memory cap"));
  CHECK(starts_with(run(box, "return string.rep('x', 1e9)"), "error:"));
  CHECK(run(box, "return 'still usable'") == "ok:still usable");
}

TEST_CASE("escapes through io, os, load, debug and require fail", "[sandbox]") {
  LuaSandbox box;
  for (const char* escape : {"return os.execute('true')", "return io.open('/etc/passwd')", "return load('return 1')()",
                             "return dofile('/etc/passwd')", "return loadfile('/etc/passwd')", "return require('os')",
                             "return debug.getinfo(1)", "return string.dump(print)", "return (''):dump()",
                             "return collectgarbage('count')", "return package.loaded"}) {
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

TEST_CASE("a stop cannot be caught: pcall and xpcall hand it on, whatever the handler does", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000});
  for (const char* script :
       {"local ok = pcall(function() while true do end end) return 'caught'",
        "while true do pcall(pcall, function() while true do end end) end",
        "local ok = xpcall(function() while true do end end, function(m) return m end) return 'caught'",
        "while true do xpcall(function() while true do end end, function() while true do end end) end",
        "local ok = pcall(error, 'x') while true do pcall(function() local t = {} t[1] = t end) end",
        "local ok, e = pcall(string.rep, 'x', 1e12) return 'caught ' .. tostring(e)",
        "local t = {} local ok = pcall(function() for i = 1, 1e9 do t[i] = {} end end) t = nil return 'caught'"}) {
    INFO(script);
    const std::string r = run(box, script);
    CHECK(starts_with(r, "error:"));
    CHECK((contains(r, "instruction budget") || contains(r, "memory cap")));
    CHECK(run(box, "return 'still usable'") == "ok:still usable");
  }
}

TEST_CASE("a backtracking pattern is stopped by the budget in moments", "[sandbox]") {
  LuaSandbox box; // the default budget
  std::chrono::milliseconds took{};
  for (const char* script :
       {"return string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')",
        "return (string.rep('a', 40)):match(string.rep('a*', 40) .. 'b')",
        "for m in string.gmatch(string.rep('a', 40), string.rep('a*', 40) .. 'b') do end",
        "return string.gsub(string.rep('a', 40), string.rep('a*', 40) .. 'b', '')",
        "local ok = pcall(string.find, string.rep('a', 40), string.rep('a*', 40) .. 'b') return 'caught'",
        "return string.find(string.rep('a', 2e6), string.rep('a', 1e6) .. 'b', 1, true)"}) {
    INFO(script);
    const std::string r = timed_run(box, script, took);
    // The budget, or on a busy machine the deadline (1 s by default).
    CHECK((contains(r, "the script ran past its instruction budget") || contains(r, "ran past its deadline")));
    CHECK(took < std::chrono::seconds(2));
  }
  CHECK(run(box, "return ('abc'):find('b')") == "ok:2");
}

TEST_CASE("endless callbacks of gsub and table.sort, and endless metamethods, are stopped", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 2'000'000});
  for (const char* script :
       {"return string.gsub('abc', '.', function() while true do end end)",
        "local ok = pcall(string.gsub, 'abc', '.', function() while true do end end) return 'caught'",
        "local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function(a, b) while true do end end)",
        "local t = {} for i = 1, 100 do t[i] = i end "
        "while true do pcall(table.sort, t, function(a, b) while true do end end) end",
        "return tostring(setmetatable({}, {__tostring = function() while true do end end}))",
        "local t = setmetatable({}, {__index = function() while true do end end}) return t.x",
        "return string.format('%s', setmetatable({}, {__tostring = function() while true do end end}))"}) {
    INFO(script);
    std::chrono::milliseconds took{};
    CHECK(contains(timed_run(box, script, took), "the script ran past its instruction budget"));
    CHECK(took < std::chrono::seconds(2));
  }
}

TEST_CASE("a sort whose comparator runs no Lua still spends the budget per comparison", "[sandbox]") {
  // rawequal is C: without counting the comparisons, no instruction of the
  // sort would ever be seen (filling the table takes a few hundred thousand).
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000});
  CHECK(contains(run(box, "local t = {} for i = 1, 100000 do t[i] = i end table.sort(t, rawequal) return 'sorted'"),
                 "instruction budget"));
  CHECK(run(box, "local t = {3, 1, 2} table.sort(t, function(a, b) return a < b end) return table.concat(t, ',')") ==
        "ok:1,2,3");
}

TEST_CASE("loops in C over a length a script chose are bounded", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 5'000'000});
  for (const char* script : {"table.insert(setmetatable({}, {__len = function() return 2^53 end}), 1, 'x')",
                             "table.remove(setmetatable({}, {__len = function() return 2^53 end}), 1)",
                             "table.move({}, 1, 1e15, 2)", "table.move({}, 1, 1e15, 1, {})"}) {
    INFO(script);
    std::chrono::milliseconds took{};
    CHECK(contains(timed_run(box, script, took), "the script ran past its instruction budget"));
    CHECK(took < std::chrono::seconds(2));
  }
  CHECK(contains(run(box, "return string.rep('x', 2^40)"), "memory cap"));
  CHECK(run(box, "return '[' .. string.rep('', 2^62) .. string.rep('', 2^62, '') .. ']'") == "ok:[]");
  // What they do is unchanged.
  CHECK(run(box, "local t = {1, 2, 3} table.insert(t, 1, 0) table.insert(t, 9) "
                 "return table.concat(t, ',') .. ';' .. table.remove(t, 1) .. table.remove(t) .. ';' .. "
                 "table.concat(t, ',') .. ';' .. table.concat(table.move({1, 2, 3}, 1, 3, 2), ',') .. ';' .. "
                 "table.concat(table.move({1, 2, 3}, 2, 3, 1), ',') .. ';' .. "
                 "table.concat(table.move({1, 2}, 1, 2, 1, {9, 9, 9}), ',') .. ';' .. string.rep('ab', 3, '-')") ==
        "ok:0,1,2,3,9;09;1,2,3;1,1,2,3;2,3,3;1,2,9;ab-ab-ab");
  CHECK(starts_with(run(box, "table.insert({}, 5, 'x')"), "error:"));
  CHECK(starts_with(run(box, "table.insert({}, 1, 2, 3)"), "error:"));
}

TEST_CASE("a run past its deadline is stopped, even with budget to spare", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000'000'000, std::chrono::milliseconds(200)});
  for (const char* script : {"while true do end", "while true do pcall(function() while true do end end) end",
                             "return string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')"}) {
    INFO(script);
    std::chrono::milliseconds took{};
    CHECK(contains(timed_run(box, script, took), "the script ran past its deadline (200 ms)"));
    CHECK(took >= std::chrono::milliseconds(200));
    CHECK(took < std::chrono::seconds(2));
  }
}

TEST_CASE("finalizers are refused and shared metatables are locked", "[sandbox]") {
  {
    LuaSandbox box;
    CHECK(contains(run(box, "setmetatable({}, {__gc = function() while true do end end}) return 1"),
                   "finalizers (__gc) are not available"));
    // Added after setmetatable, __gc marks nothing (Lua's rule): closing the state runs nothing.
    CHECK(run(box, "local mt = {} local t = setmetatable({}, mt) mt.__gc = function() while true do end end "
                   "return 'set'") == "ok:set");
    CHECK(run(box, "return type(coroutine)") == "ok:nil");
    CHECK(starts_with(run(box, "return getmetatable('').__index"), "error:"));
  } // closing the state must not hang
  LuaSandbox box;
  lua_State* L = box.state();
  auto pushed = box.protect([&](lua_State* S) {
    push_json(S, R"({"list":[]})");
    box.push_environment();
    lua_insert(S, -2);
    lua_setfield(S, -2, "ctx");
    lua_pop(S, 1);
    return 0;
  });
  REQUIRE(pushed.ok);
  CHECK(run(box, "return tostring(getmetatable(ctx.list))") == "ok:false");
  CHECK(starts_with(run(box, "setmetatable(ctx.list, {})"), "error:"));
  CHECK(lua_gettop(L) == 0);
}

TEST_CASE("pushing more than the memory cap is an outcome, not an abort", "[sandbox]") {
  LuaSandbox box(SandboxLimits{2u << 20, 50'000'000});
  std::string json = "{\"pad\":[";
  for (int i = 0; i < 100000; ++i) json += i ? ",{}" : "{}";
  json += "]}";
  auto o = box.protect([&](lua_State* L) {
    push_json(L, json);
    return 1;
  });
  CHECK_FALSE(o.ok);
  CHECK(o.stop == LuaSandbox::Stop::Memory);
  CHECK(contains(o.error, "memory cap"));
  CHECK(lua_gettop(box.state()) == 0);
  CHECK(run(box, "return 'still usable'") == "ok:still usable");
  // A C++ exception thrown by the work comes back as the outcome too.
  auto thrown = box.protect([](lua_State*) -> int { throw std::invalid_argument("not JSON: x"); });
  CHECK_FALSE(thrown.ok);
  CHECK(thrown.error == "not JSON: x");
}

TEST_CASE("an error outside any protected call throws instead of aborting the process", "[sandbox]") {
  LuaSandbox box;
  lua_State* L = box.state();
  lua_pushliteral(L, "raised outside");
  CHECK_THROWS_AS(lua_error(L), std::runtime_error);
  CHECK(box.broken());
  CHECK_FALSE(box.run("return 1", "=test").ok);
}

TEST_CASE("a script's error that is no text is reported without running its metamethods", "[sandbox]") {
  LuaSandbox box(SandboxLimits{8u << 20, 1'000'000});
  CHECK(run(box, "error(setmetatable({}, {__tostring = function() while true do end end}))") ==
        "error:the script failed with a table as its error");
}
