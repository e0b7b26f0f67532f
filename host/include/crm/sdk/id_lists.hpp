// id_lists.hpp: lists of ids in the two spellings plugins hand on: a
// PostgreSQL array literal for a bound uuid[] parameter, and a JSON array of
// strings for replies and events.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/text_rules.hpp>

#include <string>
#include <vector>

namespace crm {

// '{a,b}' for `= any ($n::uuid[])`. Only UUIDs go in, so nothing needs
// quoting; anything else is left out.
template <class It> std::string uuid_array(It begin, It end) {
  std::string out = "{";
  for (auto it = begin; it != end; ++it) {
    if (!is_uuid(*it)) continue;
    if (out.size() > 1) out.push_back(',');
    out += *it;
  }
  return out + "}";
}
inline std::string uuid_array(const std::vector<std::string>& ids) { return uuid_array(ids.begin(), ids.end()); }

// ["a","b"], each escaped.
template <class It> std::string json_string_array(It begin, It end) {
  std::string out = "[";
  for (auto it = begin; it != end; ++it) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, *it);
  }
  return out + "]";
}
inline std::string json_string_array(const std::vector<std::string>& values) {
  return json_string_array(values.begin(), values.end());
}

// Column `column` of every row as text; SQL NULLs are left out.
inline std::vector<std::string> column_texts(const Rows& rows, size_t column = 0) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    if (auto v = rows.at(i, column)) out.emplace_back(*v);
  return out;
}

} // namespace crm
