// InputRules: checks on what callers send that the operations' input schemas
// cannot make (query parameters arrive as strings, an amount's decimals, a
// text that is only white space), each failing as a 422 on its field.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opportunity {

bool is_uuid(std::string_view s);
std::string lower_ascii(std::string_view s);

// RFC 3339 date-time, "2026-01-31T09:30:00Z" or with an offset and fraction.
bool is_rfc3339(std::string_view s);

// The value of `key` as a lower-case UUID; throws crm::invalid(key) when it is
// not one. An empty string counts as absent (an empty query parameter).
std::string required_uuid(const crm::Input& in, const std::string& key);
std::optional<std::string> optional_uuid(const crm::Input& in, const std::string& key);

// A text of 1..max_length characters that holds more than white space.
std::string required_text(const crm::Input& in, const std::string& key, size_t max_length);
// The same when present; nullopt when absent or null.
std::optional<std::string> optional_text(const crm::Input& in, const std::string& key, size_t max_length);
// A free text (a description, a comment) of at most max_length characters;
// nullopt when absent, null or only white space.
std::optional<std::string> optional_note(const crm::Input& in, const std::string& key, size_t max_length);

// A money amount: a JSON number greater than 0, below 10^16 and with at most
// two decimals (numeric(18,2)), as a decimal text for PostgreSQL ("1500.5").
std::string required_amount(const crm::Input& in, const std::string& key);

// An ISO 4217-style code: three upper-case letters; `fallback` when absent.
std::string currency_or(const crm::Input& in, const std::string& key, const std::string& fallback);

// An integer from `min` to `max`; throws crm::invalid(key) otherwise.
std::int64_t required_integer(const crm::Input& in, const std::string& key, std::int64_t min, std::int64_t max);

// One of `allowed`, or nullopt when absent or empty; throws crm::invalid(key).
std::optional<std::string> optional_choice(const crm::Input& in, const std::string& key,
                                           const std::vector<std::string>& allowed);

// ?limit= as a query string or a JSON number: 1..200, default 50.
std::int64_t page_limit(const crm::Input& in);

// A PostgreSQL array literal '{a,b}' of UUIDs (which need no quoting).
// Anything that is not a UUID is left out.
std::string uuid_array(const std::vector<std::string>& ids);

} // namespace opportunity
