// TransferBatches: how the saga operations work through many approvals in one
// call: lists of ids cut into array literals of at most kBatch, and
// statements repeated until they change nothing.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opportunity {

inline constexpr size_t kBatch = 1000;
inline constexpr std::int64_t kBatchRows = static_cast<std::int64_t>(kBatch);

// The ids of `key` (an array of UUIDs) in PostgreSQL array literals of at
// most kBatch; {nullopt} (one pass, no id filter) when the key is absent and
// `absent_means_all`, {} when the list is empty. An empty object counts as an
// empty list: a Lua workflow cannot tell the two apart. Throws
// crm::invalid(key) for anything else, or when absent and required.
std::vector<std::optional<std::string>> id_batches(const crm::Input& in, const std::string& key, bool absent_means_all);

// Calls `run(batch)` (one statement changing at most kBatch rows, returning
// their ids first and the approval's JSON second) until it changes nothing,
// for each id batch; `each(id, json)` sees every changed row. Returns the
// changed ids as a JSON array. A batch that comes back empty ends the loop,
// so rows a concurrent change took out of a batch are not mistaken for the end.
template <class Statement, class EachRow>
std::string run_in_batches(const std::vector<std::optional<std::string>>& batches, Statement run, EachRow each) {
  std::string ids = "[";
  for (const auto& batch : batches) {
    for (;;) {
      const crm::Rows rows = run(batch);
      for (size_t i = 0; i < rows.size(); ++i) {
        if (ids.size() > 1) ids.push_back(',');
        crm::append_json_string(ids, *rows.at(i, 0));
        each(std::string(*rows.at(i, 0)), std::string(*rows.at(i, 1)));
      }
      if (rows.empty()) break;
    }
  }
  return ids + "]";
}

} // namespace opportunity
