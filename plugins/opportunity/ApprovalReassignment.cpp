// ApprovalReassignment: what the reassignment saga does to one user's pending
// approvals, and its compensation. System only (workflows).
//
// A user holds a PENDING approval in two ways: as its requester and as its
// current approver. Moving it to another user moves both; moving an approver
// adds a history line (ASSIGNED, previousApproverId = from) and emits
// approval.assigned, so the new approver hears of it and keeps seeing it.
//
// In one call:
//   opportunity.reassign {fromUserId, toUserId, ids?}
//       -> {fromUserId, toUserId, requested: [ids], approving: [ids]}:
//          exactly what moved, per kind.
//   opportunity.reassign_undo  takes that reply as it is (a saga's default
//       compensation input) and moves exactly those back where `to` still
//       holds them -> the same shape, with what moved back.
// A batch per call, for a saga's batched step (as customer and sales do):
//   opportunity.reassign {fromUserId, toUserId, transfer, limit?}
//       moves at most `limit` (1,000) approvals, each recorded under the
//       transfer (a name the caller picks, e.g. "<instance>:approvals")
//       -> {count, requested, approving, more, fromUserId, toUserId}
//   opportunity.reassign_back {transfer, limit?}  moves back, a batch per
//       call, exactly what was recorded under the transfer, where the new
//       holder still has it -> {count, requested, approving, more}
//   opportunity.count_owned {userId} -> {requested, approving}: the PENDING
//       approvals a reassignment would move, for a dry run.
//
// Each is idempotent: a repeat finds nothing left to move (a saga retrying
// with its idempotency key gets the first reply).
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"

#include <crm/sdk/batched_transfers.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace opportunity {

namespace {

std::string moved_reply(const crm::TransferRequest& t, const std::string& requested, const std::string& approving) {
  return crm::JsonObject()
      .field("fromUserId", t.from)
      .field("toUserId", t.to)
      .raw("requested", requested)
      .raw("approving", approving)
      .str();
}

void announce_new_approver(crm::Call& call, const std::string& id, const std::string& approval,
                           const std::string& previous) {
  call.emit(
      "approval.assigned", id,
      crm::with_members(approval, crm::JsonObject().field("escalated", false).field("previousApproverId", previous)));
}

// Moves requests of `holder` to `next` (PENDING ones only when `pending_only`).
std::string move_requester(crm::Call& call, const std::vector<std::optional<std::string>>& batches,
                           const std::string& holder, const std::string& next, bool pending_only) {
  return crm::run_in_batches(
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
                        {holder, next, ids, crm::kTransferBatchRows, pending_only});
      },
      [](const crm::Rows&, size_t) {});
}

// Hands the PENDING approvals `holder` is to decide to `next`.
std::string move_approver(crm::Call& call, const std::vector<std::optional<std::string>>& batches,
                          const std::string& holder, const std::string& next, const std::string& why) {
  return crm::run_in_batches(
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
                        {holder, next, ids, crm::kTransferBatchRows, why});
      },
      [&](const crm::Rows& rows, size_t i) {
        announce_new_approver(call, std::string(*rows.at(i, 0)), std::string(*rows.at(i, 1)), holder);
      });
}

size_t count_ids(const std::string& json_array) {
  return json_array.size() <= 2 ? 0 : static_cast<size_t>(std::count(json_array.begin(), json_array.end(), ',')) + 1;
}

// One batch of a recorded transfer: at most `limit` approvals, each moved in
// both roles `from` holds in it by one UPDATE, and recorded per role.
void reassign_one_batch(crm::Call& call, const crm::TransferRequest& t) {
  auto rows = call.sql(R"sql(
    with batch as (
      select id, requester_id = $1::uuid as as_requester,
             coalesce(current_approver_id = $1::uuid, false) as as_approver
      from approvals
      where status = 'PENDING' and (requester_id = $1::uuid or current_approver_id = $1::uuid)
      order by id limit $3::int
      for update),
    moved as (
      update approvals a set
        requester_id = case when b.as_requester then $2::uuid else a.requester_id end,
        current_approver_id = case when b.as_approver then $2::uuid else a.current_approver_id end,
        updated_at = now()
      from batch b where a.id = b.id
      returning a.id, a.level, b.as_requester, b.as_approver, approval_json(a) as approval),
    logged as (
      insert into approval_history (approval_id, action, level, comment, approver_id, previous_approver_id)
      select id, 'ASSIGNED', level, 'reassigned', $2::uuid, $1::uuid from moved where as_approver)
    select id, approval, as_requester, as_approver from moved)sql",
                       {t.from, t.to, t.limit});
  std::vector<std::string> requested, approving;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (*rows.at(i, 2) == "t") requested.emplace_back(*rows.at(i, 0));
    if (*rows.at(i, 3) == "t") {
      approving.emplace_back(*rows.at(i, 0));
      announce_new_approver(call, std::string(*rows.at(i, 0)), std::string(*rows.at(i, 1)), t.from);
    }
  }
  const auto count = static_cast<std::int64_t>(rows.size()); // rows are gone after the next sql()
  crm::record_transfer(call, *t.transfer, "requested", t.from, t.to, requested);
  crm::record_transfer(call, *t.transfer, "approving", t.from, t.to, approving);
  // Whether any are left: a short batch is no proof of the end (a decision
  // made meanwhile takes an approval out of it), and a full last one needs
  // no empty call after it.
  const bool more = !call.sql("select 1 from approvals where status = 'PENDING' and "
                              "(requester_id = $1::uuid or current_approver_id = $1::uuid) limit 1",
                              {t.from})
                         .empty();
  call.reply(crm::JsonObject()
                 .field("count", count)
                 .field("requested", static_cast<std::int64_t>(requested.size()))
                 .field("approving", static_cast<std::int64_t>(approving.size()))
                 .field("more", more)
                 .field("fromUserId", t.from)
                 .field("toUserId", t.to)
                 .str());
}

} // namespace

void reassign_approvals(crm::Call& call) {
  const auto& in = call.input();
  const auto t = crm::TransferRequest::of(in);
  if (t.transfer) return reassign_one_batch(call, t);
  const auto batches = crm::id_batches(in, "ids", true);
  const std::string requested = move_requester(call, batches, t.from, t.to, true);
  const std::string approving = move_approver(call, batches, t.from, t.to, "reassigned");
  call.reply(moved_reply(t, requested, approving));
}

// The requester goes back whatever the approval's state since (who asked for
// it does not change with a decision); the approver only while still PENDING.
void undo_reassign_approvals(crm::Call& call) {
  const auto& in = call.input();
  const auto t = crm::TransferRequest::of(in);
  const std::string requested = move_requester(call, crm::id_batches(in, "requested", false), t.to, t.from, false);
  const std::string approving =
      move_approver(call, crm::id_batches(in, "approving", false), t.to, t.from, "reassignment undone");
  call.reply(moved_reply(t, requested, approving));
}

// Every recorded row of the batch is settled (taken off the record) whether
// or not it can go back: its new holder may have passed it on since, or it
// was decided.
void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = in.required_text("transfer");
  const auto settled = crm::settle_transfer_batch(call, transfer, crm::TransferRequest::transfer_limit(in));
  size_t requested = 0, approving = 0;
  for (const auto& group : settled.groups) {
    const std::vector<std::optional<std::string>> batches{crm::uuid_array(group.ids)};
    if (group.kind == "requested")
      requested += count_ids(move_requester(call, batches, group.to, group.from, false));
    else
      approving += count_ids(move_approver(call, batches, group.to, group.from, "reassignment undone"));
  }
  call.reply(crm::JsonObject()
                 .field("count", static_cast<std::int64_t>(requested + approving))
                 .field("requested", static_cast<std::int64_t>(requested))
                 .field("approving", static_cast<std::int64_t>(approving))
                 .field("more", settled.more)
                 .str());
}

void count_owned(crm::Call& call) {
  auto rows = call.sql(R"sql(
    select count(*) filter (where requester_id = $1::uuid), count(*) filter (where current_approver_id = $1::uuid)
    from approvals
    where status = 'PENDING' and (requester_id = $1::uuid or current_approver_id = $1::uuid))sql",
                       {crm::required_uuid(call.input(), "userId")});
  call.reply(crm::JsonObject()
                 .raw("requested", std::string(*rows.at(0, 0)))
                 .raw("approving", std::string(*rows.at(0, 1)))
                 .str());
}

} // namespace opportunity
