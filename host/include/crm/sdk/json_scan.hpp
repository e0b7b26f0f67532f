// json_scan.hpp: reads a few members of a JSON object straight from its text,
// with no tree and no copies. For hot paths (a cached record, the principal
// every handler reads): parsing them into Poco objects can cost more than the
// rest of a handler's work. It walks the full JSON syntax well enough to
// skip any value; a malformed text reads as "absent", never as a wrong value.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace crm::json_scan {

namespace detail {
constexpr std::size_t npos = std::string_view::npos;

inline std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// s[i] is the opening quote; returns the index after the closing one.
inline std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i;
    else if (s[i] == '"')
      return i + 1;
  }
  return npos;
}

// s[i] is '{' or '['; returns the index after its matching close. Brackets
// inside strings do not count; the nesting itself is trusted (the host only
// hands out well-formed JSON).
inline std::size_t skip_nested(std::string_view s, std::size_t i) {
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      if (i == npos) return npos;
      continue;
    }
    if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  return npos;
}

inline std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') return skip_nested(s, i);
  const std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
         s[i] != '\r')
    ++i;
  return i == start ? npos : i;
}

} // namespace detail

// Calls fn(std::string_view element) with the raw text of each element of
// `array`, in order; fn returns false to stop. Returns true when every
// element was visited (an empty array included), false when `array` is not
// an array or fn stopped.
template <class Fn> bool each_element(std::string_view array, Fn fn) {
  using namespace detail;
  std::size_t i = skip_ws(array, 0);
  if (i >= array.size() || array[i] != '[') return false;
  i = skip_ws(array, i + 1);
  if (i < array.size() && array[i] == ']') return true;
  while (i < array.size()) {
    const std::size_t end = skip_value(array, i);
    if (end == npos || !fn(array.substr(i, end - i))) return false;
    i = skip_ws(array, end);
    if (i < array.size() && array[i] == ']') return true;
    if (i >= array.size() || array[i] != ',') return false;
    i = skip_ws(array, i + 1);
  }
  return false;
}

// Calls fn(std::string_view key, std::string_view value) for each member of
// `object` (raw text; the key without its quotes, escapes left as written),
// in order; fn returns false to stop. Returns true when every member was
// visited, false when `object` is not an object or fn stopped.
template <class Fn> bool each_member(std::string_view object, Fn fn) {
  using namespace detail;
  std::size_t i = skip_ws(object, 0);
  if (i >= object.size() || object[i] != '{') return false;
  i = skip_ws(object, i + 1);
  if (i < object.size() && object[i] == '}') return true;
  while (i < object.size()) {
    if (object[i] != '"') return false;
    const std::size_t key_end = skip_string(object, i);
    if (key_end == npos) return false;
    const std::string_view key = object.substr(i + 1, key_end - i - 2);
    i = skip_ws(object, key_end);
    if (i >= object.size() || object[i] != ':') return false;
    i = skip_ws(object, i + 1);
    const std::size_t value_end = skip_value(object, i);
    if (value_end == npos || !fn(key, object.substr(i, value_end - i))) return false;
    i = skip_ws(object, value_end);
    if (i < object.size() && object[i] == '}') return true;
    if (i >= object.size() || object[i] != ',') return false;
    i = skip_ws(object, i + 1);
  }
  return false;
}

// The raw text of member `key` of the top-level object (a string keeps its
// quotes), the last one if the key repeats; nullopt when absent or malformed.
inline std::optional<std::string_view> member(std::string_view object, std::string_view key) {
  std::optional<std::string_view> found;
  const bool whole = each_member(object, [&](std::string_view name, std::string_view value) {
    if (name == key) found = value;
    return true;
  });
  return whole ? found : std::nullopt;
}

// The characters of a JSON string that holds no escapes; nullopt for any other
// value, and for a string with escapes (ids, roles and UUIDs never need them).
inline std::optional<std::string_view> plain_string(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
  const std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') != std::string_view::npos) return std::nullopt;
  return inner;
}

// Calls fn(std::string_view) for each element of `array` (raw text) that is a
// plain string; other elements are skipped. Stops early when fn returns true,
// and then returns true.
template <class Fn> bool any_string(std::string_view array, Fn fn) {
  bool hit = false;
  each_element(array, [&](std::string_view element) {
    if (auto s = plain_string(element); s && fn(*s)) hit = true;
    return !hit;
  });
  return hit;
}

} // namespace crm::json_scan
