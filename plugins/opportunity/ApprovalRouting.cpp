// ApprovalRouting: what the deal_approval workflow calls to route an approval.
// The plugin stores and enforces; the workflow decides who approves.
//
//   opportunity.get    {id} -> the approval with its history
//   opportunity.assign {id, level, requiredLevels, approverId, escalated?}
//       -> the approval (without history) plus "changed".
//
// assign, on a PENDING approval:
//   - escalated = false: gives the next level (level = current level + 1) to
//     approverId; only while the approval awaits routing (409 otherwise).
//     History ASSIGNED.
//   - escalated = true: hands the level being decided to approverId in place
//     of the current approver. History ESCALATED with previousApproverId.
//     If the level was decided meanwhile (the approver acted while the
//     workflow's timer fired), nothing changes: changed = false, and the
//     workflow reads the approval to see what to do next.
//   Either emits approval.assigned: the approval plus {escalated, previousApproverId}.
// On an approval that is no longer PENDING nothing changes and the reply is
// {..., status, changed: false}: not an error, so the workflow can end cleanly.
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/peer_checks.hpp>

#include <string>

namespace opportunity {

namespace {

// At most this many levels per approval (the migration's check agrees).
constexpr std::int64_t kMaxLevels = 20;

void reply_unchanged(crm::Call& call, const std::string& id) {
  call.reply(crm::with_members(approval_json(call, id), crm::JsonObject().field("changed", false)));
}

} // namespace

void assign_approver(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const std::int64_t level = crm::required_integer(in, "level", 1, kMaxLevels);
  const std::int64_t required_levels = crm::required_integer(in, "requiredLevels", 1, kMaxLevels);
  const std::string approver = crm::required_uuid(in, "approverId");
  const bool escalated = in.boolean("escalated").value_or(false);
  if (level > required_levels) throw crm::invalid("level", "must not exceed requiredLevels");

  // Before this call's transaction opens (see PeerChecks.hpp).
  crm::require_active_user(call, approver, "approverId");

  const auto approval = lock_approval(call, scope, id);
  if (!approval) throw crm::not_found("approval");
  if (!approval->pending()) return reply_unchanged(call, id);
  std::optional<std::string> previous;
  if (escalated) {
    if (!approval->current_approver_id || approval->level != level) return reply_unchanged(call, id);
    if (*approval->current_approver_id == approver) throw crm::invalid("approverId", "is the current approver already");
    previous = approval->current_approver_id;
  } else {
    if (approval->current_approver_id)
      throw crm::conflict("level " + std::to_string(approval->level) + " has an approver already; escalate instead");
    if (level != approval->level + 1)
      throw crm::conflict("the next level to assign is " + std::to_string(approval->level + 1));
  }

  auto rows = call.sql(R"sql(
    update approvals a set level = $2::int, required_levels = $3::int, current_approver_id = $4::uuid,
                           updated_at = now()
    where a.id = $1::uuid
    returning approval_json(a))sql",
                       {id, level, required_levels, approver});
  const std::string json(*rows.at(0, 0));
  record_history(
      call, id,
      HistoryEntry{escalated ? "ESCALATED" : "ASSIGNED", level, std::nullopt, std::nullopt, approver, previous});
  call.emit(
      "approval.assigned", id,
      crm::with_members(json, crm::JsonObject().field("escalated", escalated).field("previousApproverId", previous)));
  call.reply(crm::with_members(json, crm::JsonObject().field("changed", true)));
}

void get_for_workflow(crm::Call& call) {
  call.reply(approval_with_history(call, crm::required_uuid(call.input(), "id")));
}

} // namespace opportunity
