// LuaPatterns and the sandbox's string.find, match, gmatch and gsub: the same
// calls run through Lua's own string library (a plain lua_State) and through
// the sandbox, and must give the same results and the same errors; a pattern
// that backtracks without end is stopped by the step meter.
#include "workflows/LuaPatterns.hpp"
#include "workflows/LuaSandbox.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace crm::workflows;

namespace {

// Turns results into one comparable text: every value with its type, and
// gmatch's iterations one by one.
const char* kShow = R"LUA(
function show(...)
  local out = {}
  for i = 1, select('#', ...) do
    local v = select(i, ...)
    out[#out + 1] = type(v) .. ":" .. tostring(v)
  end
  return table.concat(out, ",")
end
function collect(iterator)
  local out = {}
  for _ = 1, 1000 do
    local r = table.pack(iterator())
    if r[1] == nil then break end
    out[#out + 1] = show(table.unpack(r, 1, r.n))
  end
  return table.concat(out, "|")
end
)LUA";

std::string chunk_for(const std::string& expression) {
  return "return show(pcall(function() return " + expression + " end))";
}

// Lua's own string library, in a state of its own.
class StockLua {
public:
  StockLua() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    REQUIRE(luaL_loadbuffer(L_, kShow, std::strlen(kShow), "=show") == LUA_OK);
    REQUIRE(lua_pcall(L_, 0, 0, 0) == LUA_OK);
  }
  ~StockLua() { lua_close(L_); }
  std::string eval(const std::string& expression) {
    const std::string chunk = chunk_for(expression);
    if (luaL_loadbuffer(L_, chunk.data(), chunk.size(), "=test") != LUA_OK || lua_pcall(L_, 0, 1, 0) != LUA_OK) {
      std::string e = lua_tostring(L_, -1);
      lua_pop(L_, 1);
      return "chunk failed: " + e;
    }
    std::string out = lua_tostring(L_, -1);
    lua_pop(L_, 1);
    return out;
  }

private:
  lua_State* L_;
};

// The sandbox, with room enough for every case.
class SandboxLua {
public:
  SandboxLua() : box_(SandboxLimits{64u << 20, 2'000'000'000, std::chrono::milliseconds(60'000)}) {
    REQUIRE(box_.run(kShow, "=show").ok);
  }
  std::string eval(const std::string& expression) {
    auto o = box_.run(chunk_for(expression), "=test");
    if (!o.ok) return "chunk failed: " + o.error;
    std::string out = lua_tostring(box_.state(), -1);
    lua_pop(box_.state(), o.results);
    return out;
  }

private:
  LuaSandbox box_;
};

// Every byte, for the classes.
const char* kAllBytes = "(function() local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end "
                        "return table.concat(t) end)()";

std::vector<std::string> cases() {
  std::vector<std::string> c = {
      // find: plain text, init, negative and out-of-range init, plain flag
      R"~(string.find("hello world", "wor"))~", R"~(string.find("hello world", "o", 5))~",
      R"~(string.find("hello world", "o", 6))~", R"~(string.find("hello world", "o", -3))~",
      R"~(string.find("hello world", "o", -100))~", R"~(string.find("hello world", "o", 100))~",
      R"~(string.find("hello world", "o", 0))~", R"~(string.find("hello", "", 1))~", R"~(string.find("hello", "", 5))~",
      R"~(string.find("hello", "", 6))~", R"~(string.find("hello", "", 7))~", R"~(string.find("hello", "", -2))~",
      R"~(string.find("", ""))~", R"~(string.find("", "a"))~", R"~(string.find("hello", "l+"))~",
      R"~(string.find("a.b", ".", 1, true))~", R"~(string.find("a.b", "%."))~", R"~(string.find("a+b", "+", 1, true))~",
      R"~(string.find("a(b", "(", 1, true))~", R"~(string.find("a)b", ")"))~", R"~(string.find("a]b", "]"))~",
      R"~(string.find("abab", "ab", 2))~", R"~(string.find("a\0b\0c", "\0c"))~", R"~(string.find("a\0b", "[\0]"))~",
      R"~(string.find("a\0b", "%z"))~", R"~(string.find("abc", "(a"))~", R"~(string.find("hello", "(l)(l)"))~",
      R"~(string.find("hello", "()ll()"))~", R"~(string.find("hello", "(h)(e)(l)(l)(o)"))~",
      R"~(string.find(12345, 34))~", R"~(string.find(12345, "3", -2))~", R"~(("hello"):find("l"))~",
      R"~(string.find("hello", "l", 2.0))~", R"~(string.find("hello", "l", 2.5))~",
      R"~(string.find("hello", "l", "2"))~", R"~(string.find("hello", "l", 1, nil))~",
      R"~(string.find("hello", "l", 1, false))~", R"~(string.find("hello"))~", R"~(string.find(nil, "x"))~",
      R"~(string.find("x", {}))~",
      // anchors
      R"~(string.find("hello", "^h"))~", R"~(string.find("hello", "^e"))~", R"~(string.find("hello", "^e", 2))~",
      R"~(string.find("hello", "o$"))~", R"~(string.find("hello", "l$"))~", R"~(string.find("hello", "^hello$"))~",
      R"~(string.find("hello", "^$"))~", R"~(string.find("", "^$"))~", R"~(string.match("a^b", "a^b"))~",
      R"~(string.match("a$b", "a$b"))~", R"~(string.match("ab$", "b$$"))~", R"~(string.match("^^", "^^"))~",
      R"~(string.match("x", "$"))~", R"~(string.match("x", "^"))~",
      // quantifiers
      R"~(string.match("aaab", "a*"))~", R"~(string.match("aaab", "a+"))~", R"~(string.match("aaab", "a-"))~",
      R"~(string.match("aaab", "a-b"))~", R"~(string.match("aaab", "a?"))~", R"~(string.match("aaab", "a?b"))~",
      R"~(string.match("baaa", "ba?"))~", R"~(string.match("", "a*"))~", R"~(string.match("", "a+"))~",
      R"~(string.match("<a><b>", "<.->"))~", R"~(string.match("<a><b>", "<.*>"))~", R"~(string.match("aaa", "a-$"))~",
      R"~(string.match("xaaay", "a+y"))~", R"~(string.match("ab", "a*?"))~", R"~(string.match("a*b", "a%*b"))~",
      R"~(string.match("abc", "(ab)*c"))~", R"~(string.match("ab*c", "(ab)*c"))~",
      R"~(string.match("aaa", "(a*(.))%2"))~",
      // classes and sets
      R"~(string.match(" \t\n x", "%s+"))~", R"~(string.match("abc123def", "%d+"))~",
      R"~(string.match("abc123def", "%a+"))~", R"~(string.match("__abc123", "%w+"))~",
      R"~(string.match("abc!?", "%p+"))~", R"~(string.match("zzBEEFyy", "%x+"))~", R"~(string.match("abcDEF", "%u+"))~",
      R"~(string.match("ABCdef", "%l+"))~", R"~(string.match("a\1\2b", "%c+"))~", R"~(string.match("  ab!  ", "%g+"))~",
      R"~(string.match("abc  def", "%S+", 4))~", R"~(string.match("12ab", "%D+"))~",
      R"~(string.match("ab12", "[%a_]+"))~", R"~(string.match("_ab12", "[%a_]+"))~",
      R"~(string.match("cafe12x", "[a-f%d]+"))~", R"~(string.match("abc", "[^a]+"))~",
      R"~(string.match("]]x", "[]]+"))~", R"~(string.match("a]", "[^]]"))~", R"~(string.match("a-b", "[a-]+"))~",
      R"~(string.match("-a-b", "[-a]+"))~", R"~(string.match("x^y", "[x^]+"))~", R"~(string.match("^x", "[%^x]+"))~",
      R"~(string.match("a%b", "[%%]"))~", R"~(string.match("z]", "[%]]"))~", R"~(string.match("m", "[z-a]"))~",
      R"~(string.match("-", "[%a-z]"))~", R"~(string.match("q", "[%a-z]"))~", R"~(string.match("x", "[a-%d]"))~",
      R"~(string.match("\255\200", "[\200-\255]+"))~", R"~(string.match("\255", "%a"))~",
      R"~(string.match("x.y", "%.(.)"))~", R"~(string.match("z", "%z"))~", R"~(string.match("q", "%q"))~",
      R"~(string.match("1", "%1"))~",
      // balanced and frontier
      R"~(string.find("f(a(b)c)d", "%b()"))~", R"~(string.match("f(a(b)c", "%b()"))~",
      R"~(string.match("x''y", "%b''"))~", R"~(string.match("[[x]]", "%b[]"))~", R"~(string.match("((", "%b(("))~",
      R"~(string.match("THE (quick) fox", "%f[%a]%a+", 5))~", R"~(string.find("hello", "%f[%l]"))~",
      R"~(string.find("hello", "%f[%L]"))~", R"~(string.find("hello world", "%f[%w]%w+", 2))~",
      R"~(string.find("", "%f[%z]"))~", R"~(string.find("a", "%f[^%z]"))~", R"~(string.find("a", "%f[\0]"))~",
      // captures and back-references
      R"~(string.match("key = value", "(%w+)%s*=%s*(%w+)"))~", R"~(string.match("2024-01-15", "(%d+)-(%d+)-(%d+)"))~",
      R"~(string.match("  trim me  ", "^%s*(.-)%s*$"))~", R"~(string.match([[say "hi" and 'yo']], "([\"'])(.-)%1"))~",
      R"~(string.match("abcabc", "(abc)%1"))~", R"~(string.match("abcabd", "(abc)%1"))~",
      R"~(string.match("xx", "()%1"))~", R"~(string.match("hello", "()", 3))~", R"~(string.match("hello", ".", -1))~",
      R"~(string.match("hello", "((l)(l))"))~", R"~(string.match("hello", "(h(e(l(l(o)))))"))~",
      R"~(string.match("ab", "(a)(b)()"))~", R"~(string.match("abc", ")", 1))~", R"~(string.match(3.5, "%d"))~",
      // malformed patterns
      R"~(string.match("a", "%"))~", R"~(string.match("a", "[a"))~", R"~(string.match("a", "[a%"))~",
      R"~(string.match("a", "[]"))~", R"~(string.match("a", "[^]"))~", R"~(string.match("a", "[%]"))~",
      R"~(string.match("a", "%b"))~", R"~(string.match("a", "%ba"))~", R"~(string.match("a", "%f"))~",
      R"~(string.match("a", "%fa"))~", R"~(string.match("a", "a)"))~", R"~(string.match("a", "%0"))~",
      R"~(string.match("aa", "(a)%2"))~", R"~(string.match("aa", "%1"))~", R"~(string.match("aa", "(a%1)"))~",
      R"~(string.match("a", "(()"))~", R"~(string.match("", "a["))~", R"~(string.find("", "a["))~",
      R"~(string.match("b", "a["))~", R"~(string.match("x", string.rep("()", 32)))~",
      R"~(string.match("x", string.rep("()", 33)))~",
      R"~(string.match("x", string.rep("(", 40) .. "x" .. string.rep(")", 40)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a?", 197)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a?", 198)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a?", 199)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a?", 200)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a?", 201)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a*", 199)))~",
      R"~(string.match(string.rep("a", 250), string.rep("a*", 200)))~",
      R"~(string.match(string.rep("a", 250), string.rep("(a)", 32)))~",
      // gmatch
      R"~(collect(string.gmatch("one two three", "%a+")))~",
      R"~(collect(string.gmatch("k1=v1, k2=v2", "(%w+)=(%w+)")))~", R"~(collect(string.gmatch("abc", "")))~",
      R"~(collect(string.gmatch("abc", "a*")))~", R"~(collect(string.gmatch("hello", "^h")))~",
      R"~(collect(string.gmatch("^h^h", "^h")))~", R"~(collect(string.gmatch("abc", ".", 2)))~",
      R"~(collect(string.gmatch("abc", ".", -1)))~", R"~(collect(string.gmatch("abc", ".", 10)))~",
      R"~(collect(string.gmatch("abc", ".", 0)))~", R"~(collect(string.gmatch("a,b,,c", "([^,]*)")))~",
      R"~(collect(string.gmatch("abc", "()")))~", R"~(collect(string.gmatch("a1b22c333", "%a(%d*)")))~",
      R"~(collect(string.gmatch("", ".*")))~", R"~(collect(string.gmatch("x", "[")))~",
      R"~(collect(("a b"):gmatch("%S+")))~",
      // gsub with strings, %0-%9 and %%
      R"~(string.gsub("hello world", "o", "0"))~", R"~(string.gsub("hello world", "o", "0", 1))~",
      R"~(string.gsub("hello", "", "-"))~", R"~(string.gsub("abc", "%w", "%0%0"))~",
      R"~(string.gsub("hello world", "(%w+)", "<%1>"))~", R"~(string.gsub("hello world", "%w+", "%0 %0", 1))~",
      R"~(string.gsub("hello world", "(%w+) (%w+)", "%2 %1"))~", R"~(string.gsub("abc", "b", "%%"))~",
      R"~(string.gsub("abc", "b", "%1"))~", R"~(string.gsub("abc", "b", "%2"))~", R"~(string.gsub("abc", "b", "%x"))~",
      R"~(string.gsub("abc", "b", "%"))~", R"~(string.gsub("abc", "(b)", "%1%1"))~",
      R"~(string.gsub("abc", "()b", "%1"))~", R"~(string.gsub("abc", "^a", "x"))~",
      R"~(string.gsub("aaa", "^a", "x"))~", R"~(string.gsub("abc", "^", ">"))~", R"~(string.gsub("abc", "$", "<"))~",
      R"~(string.gsub("abc", "x*", "-"))~", R"~(string.gsub("abc", ".", "x", 0))~",
      R"~(string.gsub("abc", ".", "x", -1))~", R"~(string.gsub("abc", ".", "x", 2.0))~",
      R"~(string.gsub("abc", ".", "x", 2.5))~", R"~(string.gsub("abc", "b", 5))~", R"~(string.gsub(123, 2, 9))~",
      R"~(string.gsub("abc", "a", true))~", R"~(string.gsub("abc", "a"))~", R"~(string.gsub("a b", " ", "%%1"))~",
      R"~(string.gsub("abc", "(a)(b)(c)", "%3%2%1%0"))~", R"~(string.gsub("abc", "(", "x"))~",
      // gsub with tables and functions
      R"~(string.gsub("$name is $age", "%$(%w+)", {name = "Bob", age = 42}))~",
      R"~(string.gsub("$name is $who", "%$(%w+)", {name = "Bob"}))~",
      R"~(string.gsub("abc", ".", {a = 1, b = false}))~", R"~(string.gsub("abc", ".", {a = 1, b = true}))~",
      R"~(string.gsub("abc", ".", {a = {}}))~", R"~(string.gsub("abc", "()", {[1] = "one", [3] = "three"}))~",
      R"~(string.gsub("hello world", "l+", function(s) return #s end))~",
      R"~(string.gsub("abc", "%w", function(c) return c:upper() .. "." end))~",
      R"~(string.gsub("a=1,b=2", "(%w)=(%w)", function(k, v) return v .. k end))~",
      R"~(string.gsub("abc", ".", function() return nil end))~",
      R"~(string.gsub("abc", ".", function() return false end))~",
      R"~(string.gsub("abc", ".", function() return {} end))~",
      R"~(string.gsub("abc", ".", function() error("boom") end))~",
      R"~(string.gsub("abc", "()", function(p) return "[" .. p .. "]" end))~",
      R"~(string.gsub("abc", "", function(m) return "<" .. m .. ">" end))~", R"~(("x"):gsub("x", "y"))~",
      // every byte through every class
  };
  // string.gsub(<every byte>, pattern, replacement)
  auto over_all_bytes = [](const std::string& pattern, const char* replacement) {
    std::string call = "string.gsub(";
    call.append(kAllBytes).append(", '").append(pattern).append("', '").append(replacement).append("')");
    return call;
  };
  for (const std::string letter :
       {"a", "c", "d", "g", "l", "p", "s", "u", "w", "x", "A", "C", "D", "G", "L", "P", "S", "U", "W", "X"}) {
    c.push_back(over_all_bytes("%" + letter, ""));
    c.push_back(over_all_bytes("[%" + letter + "_]", ""));
    c.push_back(over_all_bytes("[^%" + letter + "]", ""));
  }
  c.push_back(over_all_bytes("[%]-]", ""));
  c.push_back(over_all_bytes("%f[%w]", "|"));
  return c;
}

} // namespace

TEST_CASE("the sandbox's find, match, gmatch and gsub answer as Lua's own, errors included", "[lua-patterns]") {
  StockLua stock;
  SandboxLua sandbox;
  for (const auto& expression : cases()) {
    INFO(expression);
    CHECK(sandbox.eval(expression) == stock.eval(expression));
  }
}

TEST_CASE("random patterns over random subjects match as Lua's own do", "[lua-patterns]") {
  StockLua stock;
  SandboxLua sandbox;
  std::mt19937 random(20261207);
  const std::string pattern_parts[] = {"a", "b",    ".",     "%a", "%d", "%s", "[ab]", "[^a]", "[a-c]",
                                       "*", "+",    "-",     "?",  "(",  ")",  "()",   "%1",   "^",
                                       "$", "%b()", "%f[a]", "%",  "[",  "]",  " ",    "%w+"};
  const std::string subject_chars = "aab b(c)1 2.";
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  auto quoted = [](const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    return out + "\"";
  };
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string pattern, subject;
    for (size_t n = 1 + pick(6); n > 0; --n) pattern += pattern_parts[pick(std::size(pattern_parts))];
    for (size_t n = pick(10); n > 0; --n) subject += subject_chars[pick(subject_chars.size())];
    const std::string s = quoted(subject), p = quoted(pattern);
    for (const std::string& expression :
         {"string.find(" + s + ", " + p + ")", "string.match(" + s + ", " + p + ", 2)",
          "collect(string.gmatch(" + s + ", " + p + "))", "string.gsub(" + s + ", " + p + ", \"<%0>\")"}) {
      INFO(expression);
      REQUIRE(sandbox.eval(expression) == stock.eval(expression));
      ++compared;
    }
  }
  CHECK(compared == 12000);
}

namespace {

// Stops the match after `limit` steps.
class Allowance final : public patterns::StepMeter {
public:
  explicit Allowance(std::uint64_t limit) : limit_(limit) {}
  void spend(std::uint64_t steps) override {
    spent += steps;
    if (spent > limit_) throw std::runtime_error("out of steps");
  }
  std::uint64_t spent = 0;

private:
  std::uint64_t limit_;
};

} // namespace

TEST_CASE("a pattern that backtracks without end is stopped by its step meter, at once", "[lua-patterns]") {
  const std::string subject(40, 'a');
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "a*";
  pattern += "b";
  Allowance meter(1'000'000);
  patterns::Matcher m(subject, pattern, meter);
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(m.match_at(0), "out of steps");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  CHECK(meter.spent > 1'000'000);
  CHECK(meter.spent < 1'000'000 + 2 * patterns::StepMeter::kSlice);
}

TEST_CASE("a plain search counts each position tried and each byte compared", "[lua-patterns]") {
  const std::string subject(20000, 'a');
  std::string needle(10000, 'a');
  needle.push_back('b');
  Allowance meter(1'000'000);
  CHECK_THROWS_WITH(patterns::find_plain(subject, needle, 0, meter), "out of steps");
  Allowance plenty(1'000'000'000);
  CHECK_FALSE(patterns::find_plain(subject, needle, 0, plenty).has_value());
  CHECK(plenty.spent > 10000ull * 10000ull);
}

TEST_CASE("nesting deeper than the matcher allows is a pattern error, not a crash", "[lua-patterns]") {
  Allowance meter(1'000'000'000);
  const std::string subject(1000, 'a');
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "a?";
  patterns::Matcher m(subject, pattern, meter);
  CHECK_THROWS_WITH(m.match_at(0), "pattern too complex");
}
