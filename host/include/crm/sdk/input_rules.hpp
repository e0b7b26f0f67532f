// input_rules.hpp: checks on what a caller sends that an operation's input
// schema cannot make, applied to the call's input: query parameters arrive as
// strings, JSON bodies may hold numbers and booleans, a text may be only white
// space. Each failure is crm::invalid on the field's path (a 422 naming it).
//
// One spelling for "nothing": an absent key, a JSON null and, for the
// optional_* getters, an empty string ("?ownerId=") all read as nullopt.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Array.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace crm {

inline constexpr std::int64_t kDefaultPageLimit = 50;
inline constexpr std::int64_t kMaxPageLimit = 200;

// The value of `key` as a lower-case UUID; throws invalid(key) when it is not one.
inline std::optional<std::string> optional_uuid(const Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  if (!is_uuid(*v)) throw invalid(key, "must be a UUID");
  return lower_ascii(*v);
}
inline std::string required_uuid(const Input& in, const std::string& key) {
  auto v = optional_uuid(in, key);
  if (!v) throw invalid(key, "is required");
  return *v;
}

// A whole number written as a JSON number or as a decimal string.
inline std::optional<std::int64_t> optional_integer(const Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  const auto value = in.object().get(key);
  if (!value.isString()) return in.integer(key);
  const std::string text = value.toString();
  if (text.empty()) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) throw invalid(key, "must be an integer");
  return n;
}

// A whole number from `min` to `max`, either spelling; `fallback` when absent.
inline std::int64_t integer_between(const Input& in, const std::string& key, std::int64_t min, std::int64_t max,
                                    std::int64_t fallback) {
  const auto n = optional_integer(in, key);
  if (!n) return fallback;
  if (*n < min || *n > max) throw invalid(key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
  return *n;
}

// A whole number from `min` to `max`, either spelling; required.
inline std::int64_t required_integer(const Input& in, const std::string& key, std::int64_t min, std::int64_t max) {
  if (!optional_integer(in, key)) throw invalid(key, "is required");
  return integer_between(in, key, min, max, 0);
}

// ?limit=: 1..200, default 50.
inline std::int64_t page_limit(const Input& in) {
  return integer_between(in, "limit", 1, kMaxPageLimit, kDefaultPageLimit);
}

// A JSON boolean, or the strings true/false/1/0 in any case.
inline std::optional<bool> optional_flag(const Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  const auto value = in.object().get(key);
  if (value.isBoolean()) return value.convert<bool>();
  if (value.isString()) {
    const std::string text = lower_ascii(value.toString());
    if (text.empty()) return std::nullopt;
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
  }
  throw invalid(key, "must be true or false");
}

// A text of 1..max_length characters that holds more than white space.
inline std::optional<std::string> optional_text(const Input& in, const std::string& key, size_t max_length) {
  auto v = in.text(key);
  if (!v) return std::nullopt;
  if (is_blank(*v)) throw invalid(key, "must not be blank");
  if (code_points(*v) > max_length)
    throw invalid(key, "must be at most " + std::to_string(max_length) + " characters");
  return v;
}
inline std::string required_text(const Input& in, const std::string& key, size_t max_length) {
  auto v = optional_text(in, key, max_length);
  if (!v) throw invalid(key, "is required");
  return *v;
}

// A free text (a description, a comment) of at most max_length characters;
// nullopt when absent, null or only white space.
inline std::optional<std::string> optional_note(const Input& in, const std::string& key, size_t max_length) {
  auto v = in.text(key);
  if (!v || is_blank(*v)) return std::nullopt;
  if (code_points(*v) > max_length)
    throw invalid(key, "must be at most " + std::to_string(max_length) + " characters");
  return v;
}

// A text field an update may set, clear (null or blank: "no phone" has one
// spelling) or leave alone (absent).
struct ClearableText {
  bool given = false;
  std::optional<std::string> value;
};
inline ClearableText clearable_text(const Input& in, const std::string& key) {
  ClearableText t;
  t.given = in.object().has(key);
  if (!t.given) return t;
  auto v = in.text(key); // nullopt for null; throws for a non-string
  if (v && !is_blank(*v)) t.value = std::move(v);
  return t;
}

// One of `allowed`, exactly as written there.
inline std::optional<std::string> optional_choice(const Input& in, const std::string& key,
                                                  const std::vector<std::string>& allowed) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  for (const auto& a : allowed)
    if (*v == a) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw invalid(key, "must be one of " + list);
}

// An RFC 3339 date-time, as sent.
inline std::optional<std::string> optional_timestamp(const Input& in, const std::string& key) {
  auto v = in.text(key);
  if (!v || v->empty()) return std::nullopt;
  if (!is_rfc3339(*v)) throw invalid(key, "must be an RFC 3339 date-time such as 2026-01-31T09:30:00Z");
  return v;
}

// An array of UUIDs, lower-cased; a bad element fails on its own path
// ("ids[3]"). An empty JSON object counts as an empty list: a Lua workflow
// cannot tell the two apart. nullopt when absent or null.
inline std::optional<std::vector<std::string>> optional_uuid_list(const Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  std::vector<std::string> ids;
  const auto value = in.object().get(key);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (object && object->size() == 0) return ids;
  }
  auto array = in.object().getArray(key);
  if (!array) throw invalid(key, "must be an array of UUIDs");
  ids.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.toString())) throw invalid(key + "[" + std::to_string(i) + "]", "must be a UUID");
    ids.push_back(lower_ascii(v.toString()));
  }
  return ids;
}
inline std::vector<std::string> uuid_list(const Input& in, const std::string& key) {
  auto ids = optional_uuid_list(in, key);
  if (!ids) throw invalid(key, "is required");
  return std::move(*ids);
}

} // namespace crm
