// InputRules: checks on what callers send that the operations' input schemas
// cannot make (query parameters arrive as strings), each failing as a 422 on
// its field.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace analytics {

bool is_uuid(std::string_view s);
std::string lower_ascii(std::string_view s);

// The value of `key` as a lower-case UUID; throws crm::invalid(key) when it
// is absent or not one.
std::string required_uuid(const crm::Input& in, const std::string& key);

// ?limit= as a query string or a JSON number: 1..200, default 50.
std::int64_t page_limit(const crm::Input& in);

// ?unread=true|false (a query string) or a JSON boolean; false when absent.
bool flag(const crm::Input& in, const std::string& key);

// A PostgreSQL array literal '{a,b}' of UUIDs (which need no quoting).
// Anything that is not a UUID is left out.
std::string uuid_array(const std::vector<std::string>& ids);

// `key`'s array of UUIDs; an empty JSON object counts as an empty list (a
// Lua workflow cannot tell the two apart). Throws crm::invalid(key).
std::vector<std::string> uuid_list(const crm::Input& in, const std::string& key);

} // namespace analytics
