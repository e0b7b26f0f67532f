// LuaPatternFunctions: see the header. The functions behave as the reference
// manual describes string.find, match, gmatch and gsub (§6.4);
// LuaPatternsTest runs them side by side with Lua's own.
#include "workflows/LuaPatternFunctions.hpp"

#include "workflows/LuaPatterns.hpp"
#include "workflows/LuaSandbox.hpp"

#include <string>
#include <string_view>

namespace crm::workflows {

namespace {

using patterns::Capture;
using patterns::kNoMatch;
using patterns::Matcher;

// The matcher's steps, spent from the running script's budget.
class BudgetMeter final : public patterns::StepMeter {
public:
  explicit BudgetMeter(lua_State* L) : L_(L), box_(LuaSandbox::of(L)) {}
  void spend(std::uint64_t steps) override { box_.charge(L_, steps); }

private:
  lua_State* L_;
  LuaSandbox& box_;
};

// A malformed pattern is a Lua error with Lua's wording. Lua's own errors
// (a stop raised by the meter, a callback's error) are not std::exceptions
// and pass through.
template <class Body>
int with_pattern_errors(lua_State* L, Body body) {
  std::string failure;
  try {
    return body();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  return luaL_error(L, "%s", failure.c_str());
}

// `init` as string.find takes it (1-based, negative from the end) -> 0-based;
// may be past the end.
size_t start_of(lua_Integer init, size_t length) {
  if (init > 0) return static_cast<size_t>(init) - 1;
  if (init == 0 || init < -static_cast<lua_Integer>(length)) return 0;
  return length - static_cast<size_t>(-init);
}

std::string_view text_at(lua_State* L, int index) {
  size_t length = 0;
  const char* s = luaL_checklstring(L, index, &length);
  return {s, length};
}

// Capture i of the match [s, e); with no captures, capture 0 is the match.
void push_capture(lua_State* L, const Matcher& m, int i, std::string_view subject, size_t s, size_t e) {
  if (i >= m.capture_count()) {
    if (i != 0) luaL_error(L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(L, subject.data() + s, e - s);
    return;
  }
  const Capture& c = m.capture(i);
  if (c.length == Capture::kUnfinished) luaL_error(L, "unfinished capture");
  if (c.length == Capture::kPosition) lua_pushinteger(L, static_cast<lua_Integer>(c.start) + 1);
  else lua_pushlstring(L, subject.data() + c.start, static_cast<size_t>(c.length));
}

int push_captures(lua_State* L, const Matcher& m, std::string_view subject, size_t s, size_t e, bool whole_if_none) {
  const int n = m.capture_count() == 0 && whole_if_none ? 1 : m.capture_count();
  luaL_checkstack(L, n, "too many captures");
  for (int i = 0; i < n; ++i) push_capture(L, m, i, subject, s, e);
  return n;
}

bool anchored(std::string_view pattern) { return !pattern.empty() && pattern.front() == '^'; }

int find_or_match(lua_State* L, bool find) {
  const std::string_view subject = text_at(L, 1);
  const std::string_view pattern = text_at(L, 2);
  const size_t init = start_of(luaL_optinteger(L, 3, 1), subject.size());
  if (init > subject.size()) {
    luaL_pushfail(L);
    return 1;
  }
  BudgetMeter meter(L);
  if (find && (lua_toboolean(L, 4) || patterns::is_plain(pattern))) {
    const auto at = patterns::find_plain(subject, pattern, init, meter);
    if (!at) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, static_cast<lua_Integer>(*at) + 1);
    lua_pushinteger(L, static_cast<lua_Integer>(*at + pattern.size()));
    return 2;
  }
  const bool anchor = anchored(pattern);
  Matcher m(subject, pattern.substr(anchor ? 1 : 0), meter);
  size_t at = init;
  do {
    const size_t e = m.match_at(at);
    if (e != kNoMatch) {
      m.settle();
      if (!find) return push_captures(L, m, subject, at, e, true);
      lua_pushinteger(L, static_cast<lua_Integer>(at) + 1);
      lua_pushinteger(L, static_cast<lua_Integer>(e));
      return 2 + push_captures(L, m, subject, at, e, false);
    }
  } while (++at <= subject.size() && !anchor);
  m.settle();
  luaL_pushfail(L);
  return 1;
}

// string.find(s, pattern [, init [, plain]]) -> start, end, captures... | fail
int sandbox_find(lua_State* L) {
  return with_pattern_errors(L, [L] { return find_or_match(L, true); });
}

// string.match(s, pattern [, init]) -> captures (or the match) | fail
int sandbox_match(lua_State* L) {
  return with_pattern_errors(L, [L] { return find_or_match(L, false); });
}

// The iterator of gmatch; upvalues: subject, pattern, where to go on, the end
// of the last match (-1: none yet). A '^' is an ordinary character here: an
// anchor would stop the iteration.
int gmatch_next(lua_State* L) {
  return with_pattern_errors(L, [L] {
    size_t subject_length = 0, pattern_length = 0;
    const char* s = lua_tolstring(L, lua_upvalueindex(1), &subject_length);
    const char* p = lua_tolstring(L, lua_upvalueindex(2), &pattern_length);
    const std::string_view subject(s, subject_length);
    const auto from = static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(3)));
    const lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    BudgetMeter meter(L);
    Matcher m(subject, std::string_view(p, pattern_length), meter);
    for (size_t at = from; at <= subject.size(); ++at) {
      const size_t e = m.match_at(at);
      // An empty match where the last one ended is no new match.
      if (e != kNoMatch && (last < 0 || e != static_cast<size_t>(last))) {
        m.settle();
        lua_pushinteger(L, static_cast<lua_Integer>(e));
        lua_replace(L, lua_upvalueindex(3));
        lua_pushinteger(L, static_cast<lua_Integer>(e));
        lua_replace(L, lua_upvalueindex(4));
        return push_captures(L, m, subject, at, e, true);
      }
    }
    m.settle();
    return 0;
  });
}

// string.gmatch(s, pattern [, init]) -> iterator
int sandbox_gmatch(lua_State* L) {
  const std::string_view subject = text_at(L, 1);
  text_at(L, 2);
  size_t init = start_of(luaL_optinteger(L, 3, 1), subject.size());
  if (init > subject.size()) init = subject.size() + 1; // nothing to find
  lua_settop(L, 2);
  lua_pushinteger(L, static_cast<lua_Integer>(init));
  lua_pushinteger(L, -1);
  lua_pushcclosure(L, &gmatch_next, 4);
  return 1;
}

// The replacement text of gsub (argument 3) for the match [s, e): %0 the
// match, %1-%9 its captures, %% a '%'.
void append_template(lua_State* L, Matcher& m, std::string_view subject, size_t s, size_t e, std::string& out) {
  size_t length = 0;
  const char* text = lua_tolstring(L, 3, &length);
  m.spend(length);
  for (size_t i = 0; i < length; ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    ++i;
    const char c = i < length ? text[i] : '\0';
    if (c == '%') {
      out.push_back('%');
    } else if (c == '0') {
      out.append(subject.substr(s, e - s));
    } else if (c >= '1' && c <= '9') {
      push_capture(L, m, c - '1', subject, s, e);
      size_t capture_length = 0;
      const char* capture = luaL_tolstring(L, -1, &capture_length); // a position capture is a number
      out.append(capture, capture_length);
      lua_pop(L, 2);
    } else {
      luaL_error(L, "invalid use of '%%' in replacement string");
    }
  }
}

// The replacement for the match [s, e), by the type of gsub's argument 3.
void append_replacement(lua_State* L, Matcher& m, int type, std::string_view subject, size_t s, size_t e,
                        std::string& out) {
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    append_template(L, m, subject, s, e, out);
    return;
  }
  if (type == LUA_TFUNCTION) {
    // Each call is spent from the budget, whatever the callback costs itself.
    m.settle();
    LuaSandbox::of(L).charge(L, 1);
    lua_pushvalue(L, 3);
    const int n = push_captures(L, m, subject, s, e, true);
    lua_call(L, n, 1);
  } else {
    luaL_checkstack(L, 1, "too many captures");
    push_capture(L, m, 0, subject, s, e);
    lua_gettable(L, 3);
  }
  if (!lua_toboolean(L, -1)) {
    out.append(subject.substr(s, e - s)); // false or nil: the match stays
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  } else {
    size_t length = 0;
    const char* text = lua_tolstring(L, -1, &length);
    out.append(text, length);
  }
  lua_pop(L, 1);
}

// string.gsub(s, pattern, repl [, n]) -> the new text, the number of matches
int sandbox_gsub(lua_State* L) {
  return with_pattern_errors(L, [L] {
    const std::string_view subject = text_at(L, 1);
    const std::string_view pattern = text_at(L, 2);
    const int type = lua_type(L, 3);
    const lua_Integer max_matches = luaL_optinteger(L, 4, static_cast<lua_Integer>(subject.size()) + 1);
    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    LuaSandbox& box = LuaSandbox::of(L);
    // The new text is built outside Lua: it may grow no larger than the
    // state could hold.
    const size_t cap = box.limits().max_memory_bytes;
    const bool anchor = anchored(pattern);
    BudgetMeter meter(L);
    Matcher m(subject, pattern.substr(anchor ? 1 : 0), meter);
    std::string out;
    size_t at = 0, last = kNoMatch;
    lua_Integer count = 0;
    while (count < max_matches) {
      const size_t e = m.match_at(at);
      if (e != kNoMatch && e != last) {
        ++count;
        append_replacement(L, m, type, subject, at, e, out);
        at = last = e;
      } else if (at < subject.size()) {
        out.push_back(subject[at++]);
      } else {
        break;
      }
      if (out.size() > cap) box.stop(L, LuaSandbox::Stop::Memory);
      if (anchor) break;
    }
    m.settle();
    if (out.size() + (subject.size() - at) > cap) box.stop(L, LuaSandbox::Stop::Memory);
    out.append(subject.substr(at));
    lua_pushlstring(L, out.data(), out.size());
    lua_pushinteger(L, count);
    return 2;
  });
}

} // namespace

void install_pattern_functions(lua_State* L, int string_table) {
  string_table = lua_absindex(L, string_table);
  const std::pair<const char*, lua_CFunction> functions[] = {
      {"find", &sandbox_find}, {"match", &sandbox_match}, {"gmatch", &sandbox_gmatch}, {"gsub", &sandbox_gsub}};
  for (const auto& [name, fn] : functions) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, string_table, name);
  }
}

} // namespace crm::workflows
