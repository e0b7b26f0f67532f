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
#include "Handlers.hpp"

#include "CacheKeys.hpp"
#include "InputRules.hpp"
#include "SqlStatement.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace customer {

namespace {

constexpr size_t kBatch = 1000;

// Moves at most kBatch customers; `ids` (a uuid[] literal) narrows the choice.
std::vector<std::string> move_batch(crm::Call& call, const std::string& from, const std::string& to,
                                    const std::optional<std::string>& ids) {
  SqlStatement s;
  s << "with batch as (select id from customers where owner_id = " << s.bind(from) << "::uuid and deleted_at is null";
  if (ids) s << " and id = any (" << s.bind(ids) << "::uuid[])";
  s << " order by id limit " << s.bind(std::to_string(kBatch)) << "::int for update) "
    << "update customers c set owner_id = " << s.bind(to)
    << "::uuid, updated_at = now() from batch where c.id = batch.id returning c.id";
  const auto rows = s.run(call);
  std::vector<std::string> moved;
  moved.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) moved.emplace_back(*rows.at(i, 0));
  return moved;
}

// Workflows hand over Lua tables, and Lua cannot tell an empty list from an
// empty object: `ids = {}` (or the `moved` of a call that moved nothing)
// arrives as {}, and means "none".
std::vector<std::string> requested_ids(const crm::Input& in) {
  std::vector<std::string> ids;
  if (auto object = in.object().getObject("ids"); object && object->size() == 0) return ids;
  auto array = in.object().getArray("ids");
  if (!array) throw crm::invalid("ids", "must be an array of customer ids");
  ids.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    const auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.extract<std::string>()))
      throw crm::invalid("ids[" + std::to_string(i) + "]", "must be a UUID");
    ids.push_back(lower_ascii(v.extract<std::string>()));
  }
  return ids;
}

std::string uuid_array(std::vector<std::string>::const_iterator begin, std::vector<std::string>::const_iterator end) {
  std::string out = "{";
  for (auto it = begin; it != end; ++it) {
    if (out.size() > 1) out.push_back(',');
    out += *it;
  }
  return out + "}";
}

std::string json_array(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const auto& id : ids) {
    if (out.size() > 1) out.push_back(',');
    crm::append_json_string(out, id);
  }
  return out + "]";
}

} // namespace

namespace {

std::int64_t batch_limit(const crm::Input& in) { return optional_integer(in, "limit").value_or(kBatch); }

// The cache entries of the moved rows go, and customer.reassigned tells the
// other contexts ({fromUserId, toUserId, ids}, subject fromUserId; with
// `transfer` when a saga's batch moved them: the saga tells the users itself).
void announce(crm::Call& call, const std::string& from, const std::string& to, const std::vector<std::string>& ids,
              const std::optional<std::string>& transfer = std::nullopt) {
  if (ids.empty()) return;
  call.emit("customer.reassigned", from,
            crm::JsonObject()
                .field("fromUserId", from)
                .field("toUserId", to)
                .raw("ids", json_array(ids))
                .field("transfer", transfer)
                .str());
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
void reassign_one_batch(crm::Call& call, const std::string& from, const std::string& to, const std::string& transfer) {
  const std::int64_t limit = batch_limit(call.input());
  const auto rows =
      call.sql("with moved as (update customers c set owner_id = $2::uuid, updated_at = now() "
               "where c.id = any (array(select id from customers where owner_id = $1::uuid and deleted_at is null "
               "order by created_at desc, id desc limit $3::int for update)) returning c.id), "
               "recorded as (insert into transfers (transfer, id, from_user, to_user) "
               "select $4, id, $1::uuid, $2::uuid from moved on conflict do nothing) select id from moved",
               {from, to, limit, transfer});
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ids.emplace_back(*rows.at(i, 0));
  const bool more =
      !call.sql("select 1 from customers where owner_id = $1::uuid and deleted_at is null limit 1", {from}).empty();
  announce(call, from, to, ids, transfer);
  call.reply(crm::JsonObject()
                 .field("count", static_cast<std::int64_t>(ids.size()))
                 .field("more", more)
                 .field("fromUserId", from)
                 .field("toUserId", to)
                 .str());
}

} // namespace

void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = required_text(in, "transfer");
  const std::int64_t limit = batch_limit(in);
  // Each recorded row is taken off the record whether or not it can go back
  // (its new owner may have passed it on since): it is settled either way.
  auto rows = call.sql(
      "with batch as (select id from transfers where transfer = $1 order by id limit $2::int), "
      "settled as (delete from transfers t using batch b where t.transfer = $1 and t.id = b.id "
      "returning t.id, t.from_user, t.to_user), "
      "back as (update customers c set owner_id = s.from_user, updated_at = now() from settled s "
      "where c.id = s.id and c.owner_id = s.to_user returning c.id, s.from_user, s.to_user) "
      "select (select count(*) from settled), b.id, b.from_user, b.to_user from (select 1) one "
      "left join back b on true",
      {transfer, limit});
  const std::int64_t settled = rows.empty() ? 0 : std::stoll(std::string(*rows.at(0, 0)));
  // Group what went back by (old owner, new owner): one event each.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> back;
  for (size_t i = 0; i < rows.size(); ++i)
    if (auto id = rows.at(i, 1)) back[{std::string(*rows.at(i, 3)), std::string(*rows.at(i, 2))}].emplace_back(*id);
  std::int64_t count = 0;
  for (const auto& [users, ids] : back) {
    announce(call, users.first, users.second, ids, transfer);
    count += static_cast<std::int64_t>(ids.size());
  }
  call.reply(crm::JsonObject().field("count", count).field("more", settled == limit).str());
}

void count_owned(crm::Call& call) {
  auto rows = call.sql("select count(*) from customers where owner_id = $1::uuid and deleted_at is null",
                       {required_uuid(call.input(), "userId")});
  call.reply(crm::JsonObject().raw("customers", std::string(*rows.at(0, 0))).str());
}

void reassign_owner(crm::Call& call) {
  const auto& in = call.input();
  const std::string from = required_uuid(in, "fromUserId");
  const std::string to = required_uuid(in, "toUserId");
  if (from == to) throw crm::invalid("toUserId", "must be another user than fromUserId");
  if (auto transfer = in.text("transfer")) return reassign_one_batch(call, from, to, *transfer);

  std::vector<std::string> moved;
  auto record = [&](std::vector<std::string> batch) {
    if (batch.empty()) return false;
    call.emit("customer.reassigned", from,
              crm::JsonObject().field("fromUserId", from).field("toUserId", to).raw("ids", json_array(batch)).str());
    for (const auto& id : batch) call.cache_del(customer_cache_key(id));
    moved.insert(moved.end(), batch.begin(), batch.end());
    return true;
  };

  if (in.object().has("ids")) {
    const std::vector<std::string> ids = requested_ids(in);
    for (size_t at = 0; at < ids.size(); at += kBatch) {
      const auto end = ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kBatch));
      record(move_batch(call, from, to, uuid_array(ids.begin() + static_cast<std::ptrdiff_t>(at), end)));
    }
  } else {
    // Until a batch comes back empty: a short one may only mean that a
    // concurrent change took some rows out of it.
    while (record(move_batch(call, from, to, std::nullopt))) {
    }
  }

  call.reply(crm::JsonObject().raw("moved", json_array(moved)).field("fromUserId", from).field("toUserId", to).str());
}

} // namespace customer
