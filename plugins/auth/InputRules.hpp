// InputRules: small checks on what callers send (UUIDs, emails, numbers and
// flags that arrive as query strings), each failing as a 422 on its field.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace auth {

bool is_uuid(std::string_view s);
std::string lower_ascii(std::string_view s);

// A plausible address: one '@', a local part, a dotted domain, no spaces or
// control characters, at most 254 bytes. The REST schemas check more; this
// guards the paths without a schema (the first admin from the configuration).
bool looks_like_email(std::string_view s);

// The value of `key` as a lower-case UUID; throws crm::invalid(key) when it is
// not one. An empty string counts as absent (an empty query parameter).
std::string required_uuid(const crm::Input& in, const std::string& key);
std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key);

// Query parameters are strings, JSON bodies may hold numbers and booleans:
// both spellings are accepted. Anything else throws crm::invalid(key).
std::optional<std::int64_t> optional_integer(const crm::Input& in, const std::string& key);
std::optional<bool> optional_flag(const crm::Input& in, const std::string& key);

} // namespace auth
