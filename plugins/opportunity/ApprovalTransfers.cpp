// ApprovalTransfers: the steps the reassignment and customer-deletion sagas
// take on approvals, and their compensations. System only (workflows).
//
//   opportunity.reassign {fromUserId, toUserId, ids?}
//       PENDING approvals requested by `from` get `to` as requester, and
//       those `from` is asked to decide get `to` as approver (history
//       ASSIGNED, approval.assigned) -> {fromUserId, toUserId,
//       requested: [ids], approving: [ids]}: exactly what moved, per kind.
//   opportunity.reassign_undo  takes that reply as it is (a saga's default
//       compensation input) and moves exactly those back, where `to` still
//       holds them -> the same shape, with what moved back.
//   opportunity.cancel_for_customer {customerId}  cancels the customer's
//       PENDING approvals (history CANCELLED, approval.cancelled, which also
//       ends their deal_approval instances) -> {customerId, cancelled: [ids]}
//   opportunity.restore_for_customer {customerId, cancelled: [ids]}  makes
//       exactly those PENDING again, at their level with their approver, and
//       emits approval.requested (data.restored = true) so that a new
//       deal_approval instance takes each up where it stood -> the same shape.
//
// Each is idempotent: a repeat finds nothing left to change and reports empty
// lists (a saga retrying with its idempotency key gets the first reply).
// Large holders are worked through in batches of at most kBatch rows per
// statement, all in the call's one transaction; a batch that comes back empty
// ends the loop.
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"
#include "InputRules.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace opportunity {

namespace {

constexpr size_t kBatch = 1000;
constexpr std::int64_t kBatchRows = static_cast<std::int64_t>(kBatch);

// The ids of `key` (an array of UUIDs) in array literals of at most kBatch;
// {nullopt} (one pass, no id filter) when the key is absent and
// `absent_means_all`, {} when the list is empty. An empty object counts as an
// empty list: a Lua workflow cannot tell the two apart.
std::vector<std::optional<std::string>> id_batches(const crm::Input& in, const std::string& key,
                                                   bool absent_means_all) {
  if (!in.has(key)) {
    if (absent_means_all) return {std::nullopt};
    throw crm::invalid(key, "is required");
  }
  const auto value = in.object().get(key);
  if (value.type() == typeid(Poco::JSON::Object::Ptr)) {
    auto object = value.extract<Poco::JSON::Object::Ptr>();
    if (object && object->size() == 0) return {};
  }
  auto array = in.object().getArray(key);
  if (!array) throw crm::invalid(key, "must be an array of UUIDs");
  std::vector<std::optional<std::string>> out;
  std::vector<std::string> batch;
  for (size_t i = 0; i < array->size(); ++i) {
    auto v = array->get(static_cast<unsigned>(i));
    if (!v.isString() || !is_uuid(v.toString())) throw crm::invalid(key, "must be an array of UUIDs");
    batch.push_back(lower_ascii(v.toString()));
    if (batch.size() == kBatch) out.emplace_back(uuid_array(batch)), batch.clear();
  }
  if (!batch.empty()) out.emplace_back(uuid_array(batch));
  return out;
}

// Calls `run(batch)` (one statement changing at most kBatch rows and
// returning their ids first, then the approval's JSON) until it changes
// nothing, for each id batch; `each(id, json)` sees every changed row.
// Returns the changed ids as a JSON array.
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

struct Transfer {
  std::string from, to;
  static Transfer of(const crm::Input& in) {
    Transfer t{required_uuid(in, "fromUserId"), required_uuid(in, "toUserId")};
    if (t.from == t.to) throw crm::invalid("toUserId", "must differ from fromUserId");
    return t;
  }
  std::string reply(const std::string& requested, const std::string& approving) const {
    return crm::JsonObject()
        .field("fromUserId", std::string_view(from))
        .field("toUserId", std::string_view(to))
        .raw("requested", requested)
        .raw("approving", approving)
        .str();
  }
};

// Moves requests of `holder` to `next` (PENDING ones only when `pending_only`).
std::string move_requester(crm::Call& call, const std::vector<std::optional<std::string>>& batches,
                           const std::string& holder, const std::string& next, bool pending_only) {
  return run_in_batches(
      batches,
      [&](const std::optional<std::string>& ids) {
        return call.sql(R"sql(
          with batch as (
            select id from approvals
            where requester_id = $1::uuid and (status = 'PENDING' or not $5::boolean)
              and ($3::uuid[] is null or id = any ($3::uuid[]))
            order by id limit $4::int
            for update)
          update approvals a set requester_id = $2::uuid, updated_at = now()
          from batch where a.id = batch.id
          returning a.id, approval_json(a))sql",
                        {holder, next, ids, kBatchRows, pending_only});
      },
      [](const std::string&, const std::string&) {});
}

// Hands the PENDING approvals `holder` is to decide to `next`, each with a
// history line and approval.assigned (next is told it has something to decide).
std::string move_approver(crm::Call& call, const std::vector<std::optional<std::string>>& batches,
                          const std::string& holder, const std::string& next, const std::string& why) {
  return run_in_batches(
      batches,
      [&](const std::optional<std::string>& ids) {
        return call.sql(R"sql(
          with batch as (
            select id from approvals
            where current_approver_id = $1::uuid and status = 'PENDING'
              and ($3::uuid[] is null or id = any ($3::uuid[]))
            order by id limit $4::int
            for update),
          moved as (
            update approvals a set current_approver_id = $2::uuid, updated_at = now()
            from batch where a.id = batch.id
            returning a.id, a.level, approval_json(a) as approval),
          logged as (
            insert into approval_history (approval_id, action, level, comment, approver_id, previous_approver_id)
            select id, 'ASSIGNED', level, $5, $2::uuid, $1::uuid from moved)
          select id, approval from moved)sql",
                        {holder, next, ids, kBatchRows, why});
      },
      [&](const std::string& id, const std::string& approval) {
        call.emit("approval.assigned", id,
                  with_fields(approval, crm::JsonObject().field("escalated", false).field("previousApproverId", holder)));
      });
}

} // namespace

void reassign_approvals(crm::Call& call) {
  const auto& in = call.input();
  const Transfer t = Transfer::of(in);
  const auto batches = id_batches(in, "ids", true);
  const std::string requested = move_requester(call, batches, t.from, t.to, true);
  const std::string approving = move_approver(call, batches, t.from, t.to, "reassigned");
  call.reply(t.reply(requested, approving));
}

// The requester goes back whatever the approval's state since (who asked for
// it does not change with a decision); the approver only while still PENDING.
void undo_reassign_approvals(crm::Call& call) {
  const auto& in = call.input();
  const Transfer t = Transfer::of(in);
  const std::string requested = move_requester(call, id_batches(in, "requested", false), t.to, t.from, false);
  const std::string approving =
      move_approver(call, id_batches(in, "approving", false), t.to, t.from, "reassignment undone");
  call.reply(t.reply(requested, approving));
}

void cancel_for_customer(crm::Call& call) {
  const std::string customer = required_uuid(call.input(), "customerId");
  const std::vector<std::optional<std::string>> one_pass{std::nullopt};
  const std::string cancelled = run_in_batches(
      one_pass,
      [&](const std::optional<std::string>&) {
        // The approver at the time goes into the history line: a restore
        // gives the approval back to it.
        return call.sql(R"sql(
          with batch as (
            select id, current_approver_id from approvals
            where customer_id = $1::uuid and status = 'PENDING'
            order by id limit $2::int
            for update),
          cancelled as (
            update approvals a set status = 'CANCELLED', decided_at = now(), current_approver_id = null,
                                   updated_at = now()
            from batch where a.id = batch.id
            returning a.id, a.level, batch.current_approver_id as approver, approval_json(a) as approval),
          logged as (
            insert into approval_history (approval_id, action, level, comment, approver_id)
            select id, 'CANCELLED', level, 'the customer was deleted', approver from cancelled)
          select id, approval from cancelled)sql",
                        {customer, kBatchRows});
      },
      [&](const std::string& id, const std::string& approval) { call.emit("approval.cancelled", id, approval); });
  call.reply(crm::JsonObject().field("customerId", std::string_view(customer)).raw("cancelled", cancelled).str());
}

void restore_for_customer(crm::Call& call) {
  const auto& in = call.input();
  const std::string customer = required_uuid(in, "customerId");
  // Only the ids given: a restore without them could bring back approvals
  // their requesters cancelled.
  const std::string restored = run_in_batches(
      id_batches(in, "cancelled", false),
      [&](const std::optional<std::string>& ids) {
        return call.sql(R"sql(
          with batch as (
            select a.id, (select h.approver_id from approval_history h
                          where h.approval_id = a.id and h.action = 'CANCELLED'
                          order by h.seq desc limit 1) as approver
            from approvals a
            where a.customer_id = $1::uuid and a.status = 'CANCELLED' and a.id = any ($2::uuid[])
            for update of a),
          restored as (
            update approvals a set status = 'PENDING', decided_at = null, current_approver_id = batch.approver,
                                   updated_at = now()
            from batch where a.id = batch.id
            returning a.id, a.level, batch.approver, approval_json(a) as approval),
          logged as (
            insert into approval_history (approval_id, action, level, comment, approver_id)
            select id, 'REQUESTED', level, 'restored: the customer''s deletion was undone', approver from restored)
          select id, approval from restored)sql",
                        {customer, ids});
      },
      [&](const std::string& id, const std::string& approval) {
        call.emit("approval.requested", id, with_fields(approval, crm::JsonObject().field("restored", true)));
      });
  call.reply(crm::JsonObject().field("customerId", std::string_view(customer)).raw("cancelled", restored).str());
}

} // namespace opportunity
