// InputRules: small checks on what callers send (UUIDs, numbers that arrive as
// query strings, optional and clearable text), each failing as a 422 on its
// field. The operations' input schemas check types, enums and lengths first;
// these cover what a schema cannot say.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace customer {

bool is_uuid(std::string_view s);
std::string lower_ascii(std::string_view s);
bool is_blank(std::string_view s);

// The value of `key` as a lower-case UUID; throws crm::invalid(key) when it is
// not one. An empty string counts as absent (an empty query parameter).
std::string required_uuid(const crm::Input& in, const std::string& key);
std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key);

// Query parameters are strings, JSON bodies may hold numbers: both spellings
// are accepted. Anything else throws crm::invalid(key).
std::optional<std::int64_t> optional_integer(const crm::Input& in, const std::string& key);

// A text field that may be sent as a string, as null (clear it) or not at all.
// A blank string is the same as null: "no phone" has one spelling.
struct ClearableText {
  bool given = false;
  std::optional<std::string> value;
};
ClearableText clearable_text(const crm::Input& in, const std::string& key);

// A required name-like text: present, a string, not blank.
std::string required_text(const crm::Input& in, const std::string& key);

} // namespace customer
