// InputRules: checks on what callers send that the operations' input schemas
// cannot make (query parameters arrive as strings; list filters have no
// schema), each failing as a 422 on its field.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sales {

bool is_uuid(std::string_view s);
std::string lower_ascii(std::string_view s);

// RFC 3339 date-time, "2026-01-31T09:30:00Z" or with an offset and fraction,
// whose year is 0001..9999 and offset within +-15:59 (what PostgreSQL takes).
bool is_rfc3339(std::string_view s);

// The value of `key` as a lower-case UUID; throws crm::invalid(key) when it is
// not one. An empty string counts as absent (an empty query parameter).
std::string required_uuid(const crm::Input& in, const std::string& key);
std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key);

// An RFC 3339 timestamp, as sent; throws crm::invalid(key) otherwise.
std::optional<std::string> optional_timestamp(const crm::Input& in, const std::string& key);

// A text that must hold more than white space (a title).
std::string required_title(const crm::Input& in, const std::string& key);

// One of `allowed`, or nullopt when absent or empty; throws crm::invalid(key).
std::optional<std::string> optional_choice(const crm::Input& in, const std::string& key,
                                           const std::vector<std::string>& allowed);

// ?limit= as a query string or a JSON number: 1..200, default 50.
std::int64_t page_limit(const crm::Input& in);

// A PostgreSQL array literal '{a,b}' of UUIDs (which need no quoting).
// Anything that is not a UUID is left out.
std::string uuid_array(const std::vector<std::string>& ids);

} // namespace sales
