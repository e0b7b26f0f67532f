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
#include "InputRules.hpp"
#include "TransferBatches.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace opportunity {

namespace {

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

std::int64_t batch_limit(const crm::Input& in) { return in.integer("limit").value_or(kBatchRows); }

void announce_new_approver(crm::Call& call, const std::string& id, const std::string& approval,
                           const std::string& previous) {
  call.emit("approval.assigned", id,
            with_fields(approval, crm::JsonObject().field("escalated", false).field("previousApproverId", previous)));
}

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

// Hands the PENDING approvals `holder` is to decide to `next`.
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
      [&](const std::string& id, const std::string& approval) { announce_new_approver(call, id, approval, holder); });
}

size_t count_ids(const std::string& json_array) {
  return json_array.size() <= 2 ? 0 : static_cast<size_t>(std::count(json_array.begin(), json_array.end(), ',')) + 1;
}

// One batch of a recorded transfer: at most `limit` approvals, each moved in
// both roles `from` holds in it by one UPDATE, and recorded per role.
void reassign_one_batch(crm::Call& call, const Transfer& t, const std::string& transfer) {
  const std::int64_t limit = batch_limit(call.input());
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
    recorded as (
      insert into transfers (transfer, kind, id, from_user, to_user)
      select $4, k.kind, m.id, $1::uuid, $2::uuid
      from moved m cross join lateral (values ('requested', m.as_requester), ('approving', m.as_approver)) k (kind, held)
      where k.held
      on conflict do nothing),
    logged as (
      insert into approval_history (approval_id, action, level, comment, approver_id, previous_approver_id)
      select id, 'ASSIGNED', level, 'reassigned', $2::uuid, $1::uuid from moved where as_approver)
    select id, approval, as_requester, as_approver from moved)sql",
                       {t.from, t.to, limit, transfer});
  std::int64_t requested = 0, approving = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (*rows.at(i, 2) == "t") ++requested;
    if (*rows.at(i, 3) == "t") {
      ++approving;
      announce_new_approver(call, std::string(*rows.at(i, 0)), std::string(*rows.at(i, 1)), t.from);
    }
  }
  const auto count = static_cast<std::int64_t>(rows.size());
  // Whether any are left: a short batch is no proof of the end (a decision
  // made meanwhile takes an approval out of it), and a full last one needs
  // no empty call after it.
  const bool more = !call.sql("select 1 from approvals where status = 'PENDING' and "
                              "(requester_id = $1::uuid or current_approver_id = $1::uuid) limit 1",
                              {t.from})
                         .empty();
  call.reply(crm::JsonObject()
                 .field("count", count)
                 .field("requested", requested)
                 .field("approving", approving)
                 .field("more", more)
                 .field("fromUserId", std::string_view(t.from))
                 .field("toUserId", std::string_view(t.to))
                 .str());
}

} // namespace

void reassign_approvals(crm::Call& call) {
  const auto& in = call.input();
  const Transfer t = Transfer::of(in);
  if (auto transfer = in.text("transfer")) return reassign_one_batch(call, t, *transfer);
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

// Every recorded row of the batch is settled (taken off the record) whether
// or not it can go back: its new holder may have passed it on since, or it
// was decided.
void reassign_back(crm::Call& call) {
  const auto& in = call.input();
  const std::string transfer = in.required_text("transfer");
  const std::int64_t limit = batch_limit(in);
  auto rows = call.sql(R"sql(
    with batch as (select kind, id from transfers where transfer = $1 order by kind, id limit $2::int)
    delete from transfers t using batch b
    where t.transfer = $1 and t.kind = b.kind and t.id = b.id
    returning t.kind, t.id, t.from_user, t.to_user)sql",
                       {transfer, limit});
  const auto settled = static_cast<std::int64_t>(rows.size());
  // (kind, from, to) -> ids: one move per group.
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> groups;
  for (size_t i = 0; i < rows.size(); ++i)
    groups[{std::string(*rows.at(i, 0)), std::string(*rows.at(i, 2)), std::string(*rows.at(i, 3))}].emplace_back(
        *rows.at(i, 1));
  size_t requested = 0, approving = 0;
  for (const auto& [group, ids] : groups) {
    const auto& [kind, from, to] = group;
    const std::vector<std::optional<std::string>> batches{uuid_array(ids)};
    if (kind == "requested")
      requested += count_ids(move_requester(call, batches, to, from, false));
    else
      approving += count_ids(move_approver(call, batches, to, from, "reassignment undone"));
  }
  call.reply(crm::JsonObject()
                 .field("count", static_cast<std::int64_t>(requested + approving))
                 .field("requested", static_cast<std::int64_t>(requested))
                 .field("approving", static_cast<std::int64_t>(approving))
                 .field("more", settled == limit)
                 .str());
}

void count_owned(crm::Call& call) {
  auto rows = call.sql(R"sql(
    select count(*) filter (where requester_id = $1::uuid), count(*) filter (where current_approver_id = $1::uuid)
    from approvals
    where status = 'PENDING' and (requester_id = $1::uuid or current_approver_id = $1::uuid))sql",
                       {required_uuid(call.input(), "userId")});
  call.reply(crm::JsonObject()
                 .raw("requested", std::string(*rows.at(0, 0)))
                 .raw("approving", std::string(*rows.at(0, 1)))
                 .str());
}

} // namespace opportunity
