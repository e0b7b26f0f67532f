// batched_transfers.hpp: how a saga's step moves many records from one user
// to another, and how its compensation moves back exactly those.
//
// In one call, a list of ids (or "all of them") is cut into uuid[] literals
// of at most kTransferBatch, and a statement is repeated per batch until it
// changes nothing (run_in_batches). With a `transfer` name (a saga's batched
// step, e.g. "<instance>:tasks"), each call moves one batch and records what
// it moved in the table `transfers` (schema_sql.hpp provides it); the
// compensation, `reassign_back {transfer, limit}`, settles the record a batch
// at a time (settle_transfer_batch) and moves back what the new holder still
// has.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace crm {

inline constexpr size_t kTransferBatch = 1000;
inline constexpr std::int64_t kTransferBatchRows = static_cast<std::int64_t>(kTransferBatch);

// {fromUserId, toUserId, transfer?, limit?} of a reassignment step.
struct TransferRequest {
  std::string from, to;
  std::optional<std::string> transfer; // set: one recorded batch per call
  std::int64_t limit = kTransferBatchRows;

  static TransferRequest of(const Input& in) {
    TransferRequest t{required_uuid(in, "fromUserId"), required_uuid(in, "toUserId"), in.text("transfer"),
                      transfer_limit(in)};
    if (t.from == t.to) throw invalid("toUserId", "must differ from fromUserId");
    return t;
  }
  // ?limit= of a batched step: rows per call, default kTransferBatch.
  static std::int64_t transfer_limit(const Input& in) {
    return integer_between(in, "limit", 1, 100 * kTransferBatchRows, kTransferBatchRows);
  }
};

// The ids of `key` (an array of UUIDs) in uuid[] literals of at most
// kTransferBatch; {nullopt} (one pass, no id filter) when the key is absent
// and `absent_means_all`, {} when the list is empty. Throws invalid(key) when
// absent and required, invalid(key[i]) for an element that is no UUID.
inline std::vector<std::optional<std::string>> id_batches(const Input& in, const std::string& key,
                                                          bool absent_means_all) {
  const auto ids = optional_uuid_list(in, key);
  if (!ids) {
    if (absent_means_all) return {std::nullopt};
    throw invalid(key, "is required");
  }
  std::vector<std::optional<std::string>> out;
  for (size_t at = 0; at < ids->size(); at += kTransferBatch) {
    const auto end = ids->begin() + static_cast<std::ptrdiff_t>(std::min(ids->size(), at + kTransferBatch));
    out.emplace_back(uuid_array(ids->begin() + static_cast<std::ptrdiff_t>(at), end));
  }
  return out;
}

// Calls `run(batch)` (one statement changing at most kTransferBatch rows,
// returning their ids first) until it changes nothing, for each id batch;
// `each(rows, i)` sees every changed row. Returns the changed ids as a JSON
// array. Only a batch that comes back empty ends the loop: a short one may
// just mean a concurrent change took rows out of it.
template <class Statement, class EachRow>
std::string run_in_batches(const std::vector<std::optional<std::string>>& batches, Statement run, EachRow each) {
  std::string ids = "[";
  for (const auto& batch : batches) {
    for (;;) {
      const Rows rows = run(batch);
      for (size_t i = 0; i < rows.size(); ++i) {
        if (ids.size() > 1) ids.push_back(',');
        append_json_string(ids, *rows.at(i, 0));
        each(rows, i);
      }
      if (rows.empty()) break;
    }
  }
  return ids + "]";
}
template <class Statement>
std::string run_in_batches(const std::vector<std::optional<std::string>>& batches, Statement run) {
  return run_in_batches(batches, run, [](const Rows&, size_t) {});
}

// Records that `ids` of `kind` moved from -> to under `transfer`. A repeat
// of the same batch records nothing twice.
inline void record_transfer(Call& call, const std::string& transfer, std::string_view kind, const std::string& from,
                            const std::string& to, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  call.sql("insert into transfers (transfer, kind, id, from_user, to_user) "
           "select $1, $2, id, $3::uuid, $4::uuid from unnest($5::uuid[]) id on conflict do nothing",
           {transfer, kind, from, to, uuid_array(ids)});
}

// What one settled batch of a transfer's record held, by (kind, from, to).
struct SettledGroup {
  std::string kind, from, to;
  std::vector<std::string> ids;
};
struct SettledBatch {
  std::vector<SettledGroup> groups;
  bool more = false; // the batch was full: call again
};

// Takes at most `limit` rows off the record of `transfer`. Each is settled
// whether or not it can go back: its new holder may have passed it on since.
// The caller moves back the ids of each group where `to` still holds them.
inline SettledBatch settle_transfer_batch(Call& call, const std::string& transfer, std::int64_t limit) {
  const Rows rows = call.sql(
      "with batch as (select kind, id from transfers where transfer = $1 order by kind, id limit $2::int) "
      "delete from transfers t using batch b where t.transfer = $1 and t.kind = b.kind and t.id = b.id "
      "returning t.kind, t.id, t.from_user, t.to_user",
      {transfer, limit});
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> groups;
  for (size_t i = 0; i < rows.size(); ++i)
    groups[{std::string(*rows.at(i, 0)), std::string(*rows.at(i, 2)), std::string(*rows.at(i, 3))}].emplace_back(
        *rows.at(i, 1));
  SettledBatch out;
  out.more = static_cast<std::int64_t>(rows.size()) == limit;
  for (auto& [key, ids] : groups)
    out.groups.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::move(ids)});
  return out;
}

} // namespace crm
