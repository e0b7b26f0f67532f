// ReassignOwnerHandler: customer.reassign_owner, for workflows only (the
// reassignment saga and its compensation, user offboarding).
//
// {fromUserId, toUserId, ids?} moves the live customers owned by fromUserId
// (only those listed in ids, when given; an empty list moves none) to
// toUserId, and replies {moved: [ids], fromUserId, toUserId}. Idempotent: a
// second call finds nothing owned by fromUserId any more and moves nothing.
// The compensation is the same operation with the users swapped and
// ids = moved.
//
// With `transfer` (a name the caller picks, e.g. "<saga instance>:customers")
// it works one batch per call instead, for a saga's batched step: it moves at
// most `limit` (1,000) customers, records each under the transfer, and
// replies {count, more, fromUserId, toUserId}; more = true while there may be
// others. customer.reassign_back {transfer, limit} is its compensation: it
// moves back, a batch per call, exactly the customers recorded under the
// transfer that the new owner still has -> {count, more}.
// customer.count_owned {userId} -> {customers} for a dry run.
//
// One call is one transaction, but an owner may have many thousands of
// customers: rows move in statements of at most kBatch, each locking only the
// rows it moves (in id order, so two reassignments cannot deadlock), and
// customer.reassigned is emitted per batch so no event outgrows a message.
// The batching and the transfer record are the SDK's (batched_transfers.hpp).
#include "Handlers.hpp"

#include "CacheKeys.hpp"

#include <crm/sdk/batched_transfers.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace customer {

namespace {

// What the transfer record calls a moved customer.
constexpr const char* kKind = "customer";

// The cache entries of the moved rows go, and customer.reassigned tells the
// other contexts ({fromUserId, toUserId, ids}, subject fromUserId; with
// `transfer` when a saga's batch moved them: the saga tells the users itself),
// one event per kTransferBatch ids so no event outgrows a message.
void announce(crm::Call& call, const std::string& from, const std::string& to, const std::vector<std::string>& ids,
              const std::optional<std::string>& transfer = std::nullopt) {
  for (size_t at = 0; at < ids.size(); at += crm::kTransferBatch) {
    const auto begin = ids.begin() + static_cast<std::ptrdiff_t>(at);
    const auto end = ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + crm::kTransferBatch));
    auto event = crm::JsonObject()
                     .field("fromUserId", from)
                     .field("toUserId", to)
                     .raw("ids", crm::json_string_array(begin, end));
    if (transfer) event.field("transfer", *transfer);
    call.emit("customer.reassigned", from, event.str());
  }
  for (const auto& id : ids) call.cache_del(customer_cache_key(id));
}

// One batch: the first `limit` live customers of `from` in the order of the
// owner's index (customers_owner_page_idx), so each batch reads only the rows
// it moves, however many the owner has; locked in that order, so two batches
// cannot deadlock. The ids go to the UPDATE as an array, which it finds by
// primary key: joined to a CTE instead, the statement's generic plan hashed
// the whole table for every batch. `more` asks whether any are left (a
// concurrent change may take rows out of a batch, so a short batch is no
// proof of the end, and a full last batch needs no empty call after it).
void reassign_one_batch(crm::Call& call, const crm::TransferRequest& t) {
  const auto ids = crm::column_texts(
      call.sql("update customers c set owner_id = $2::uuid, updated_at = now() "
               "where c.id = any (array(select id from customers where owner_id = $1::uuid and deleted_at is null "
               "order by created_at desc, id desc limit $3::int for update)) returning c.id",
               {t.from, t.to, t.limit}));
  crm::record_transfer(call, *t.transfer, kKind, t.from, t.to, ids);
  const bool more =
      !call.sql("select 1 from customers where owner_id = $1::uuid and deleted_at is null limit 1", {t.from}).empty();
  announce(call, t.from, t.to, ids, t.transfer);
  call.reply(crm::JsonObject()
                 .field("count", static_cast<std::int64_t>(ids.size()))
                 .field("more", more)
                 .field("fromUserId", t.from)
                 .field("toUserId", t.to)
                 .str());
}

} // namespace

void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = crm::required_text(in, "transfer", 200);
  const auto settled = crm::settle_transfer_batch(call, transfer, crm::TransferRequest::transfer_limit(in));
  std::int64_t count = 0;
  for (const auto& group : settled.groups) {
    const auto back = crm::column_texts(call.sql("update customers set owner_id = $1::uuid, updated_at = now() "
                                                 "where id = any ($3::uuid[]) and owner_id = $2::uuid returning id",
                                                 {group.from, group.to, crm::uuid_array(group.ids)}));
    announce(call, group.to, group.from, back, transfer);
    count += static_cast<std::int64_t>(back.size());
  }
  call.reply(crm::JsonObject().field("count", count).field("more", settled.more).str());
}

void count_owned(crm::Call& call) {
  auto rows = call.sql("select count(*) from customers where owner_id = $1::uuid and deleted_at is null",
                       {crm::required_uuid(call.input(), "userId")});
  call.reply(crm::JsonObject().raw("customers", std::string(*rows.at(0, 0))).str());
}

void reassign_owner(crm::Call& call) {
  const crm::TransferRequest t = crm::TransferRequest::of(call.input());
  if (t.transfer) return reassign_one_batch(call, t);
  // Workflows hand over Lua tables: `ids = {}` (or the `moved` of a call
  // that moved nothing) arrives as {}, and means "none".
  std::vector<std::string> moved;
  crm::run_in_batches(
      crm::id_batches(call.input(), "ids", true),
      [&](const std::optional<std::string>& ids) {
        return call.sql("with batch as (select id from customers where owner_id = $1::uuid and deleted_at is null "
                        "and ($3::uuid[] is null or id = any ($3::uuid[])) order by id limit $4::int for update) "
                        "update customers c set owner_id = $2::uuid, updated_at = now() from batch "
                        "where c.id = batch.id returning c.id",
                        {t.from, t.to, ids, crm::kTransferBatchRows});
      },
      [&](const crm::Rows& rows, size_t i) { moved.emplace_back(*rows.at(i, 0)); });
  announce(call, t.from, t.to, moved);
  call.reply(crm::JsonObject()
                 .raw("moved", crm::json_string_array(moved))
                 .field("fromUserId", t.from)
                 .field("toUserId", t.to)
                 .str());
}

} // namespace customer
