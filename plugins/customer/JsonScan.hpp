// JsonScan: reads a few members of a JSON object straight from its text, with
// no tree and no copies. For the hot read (GET /api/customers/{id}, also
// customer.get for other contexts) and for the principal, which every handler
// needs: parsing them into Poco objects would cost more than the rest of the
// plugin's work on a cache hit. It walks the full JSON syntax well enough to
// skip any value; a malformed text reads as "absent", never as a wrong value.
#pragma once

#include <optional>
#include <string_view>

namespace customer::json {

// The raw text of member `key` of the top-level object (a string keeps its
// quotes), the last one if the key repeats; nullopt when absent or malformed.
std::optional<std::string_view> member(std::string_view object, std::string_view key);

// The characters of a JSON string that holds no escapes; nullopt for any other
// value, and for a string with escapes (ids, roles and UUIDs never need them).
std::optional<std::string_view> plain_string(std::string_view raw);

// Calls fn(std::string_view) for each element of `array` (raw text) that is a
// plain string; other elements are skipped. Stops early when fn returns true,
// and then returns true.
template <class Fn> bool any_string(std::string_view array, Fn fn);

// ---- implementation details -------------------------------------------------
namespace detail {
constexpr std::size_t npos = std::string_view::npos;
std::size_t skip_ws(std::string_view s, std::size_t i);
// The index after the value starting at i, or npos when it is malformed.
std::size_t skip_value(std::string_view s, std::size_t i);
} // namespace detail

template <class Fn> bool any_string(std::string_view array, Fn fn) {
  using namespace detail;
  std::size_t i = skip_ws(array, 0);
  if (i >= array.size() || array[i] != '[') return false;
  i = skip_ws(array, i + 1);
  if (i < array.size() && array[i] == ']') return false;
  while (i < array.size()) {
    const std::size_t end = skip_value(array, i);
    if (end == npos) return false;
    if (auto s = plain_string(array.substr(i, end - i)); s && fn(*s)) return true;
    i = skip_ws(array, end);
    if (i >= array.size() || array[i] != ',') return false;
    i = skip_ws(array, i + 1);
  }
  return false;
}

} // namespace customer::json
