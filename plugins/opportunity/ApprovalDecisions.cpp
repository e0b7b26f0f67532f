// ApprovalDecisions: what an approver does.
//
//   PATCH /api/approvals/{id}/approve {comment?}
//       last level (level >= requiredLevels): APPROVED, approval.approved;
//       an earlier level: the level's approval goes into the history, the
//       approver is cleared and approval.level_approved tells the workflow to
//       assign the next level.
//   PATCH /api/approvals/{id}/reject {comment}
//       at any level: REJECTED, final, approval.rejected.
//
// Only the current approver or an ADMIN decides. The state is checked before
// the person, because "the current approver" only exists while an approval
// is PENDING with an approver assigned: a second approve is a 409, not a 403.
// Both events carry the approval plus {decidedBy, comment}.
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"

#include <crm/sdk/input_rules.hpp>

#include <string>

namespace opportunity {

namespace {

// The approval `id`, locked, if the caller may decide it now; throws 404
// (not visible), 409 (not PENDING, or awaiting routing) or 403 (someone else).
Approval lock_decidable(crm::Call& call, const crm::OwnerScope& scope, const std::string& id) {
  const auto approval = lock_approval(call, scope, id);
  if (!approval) throw crm::not_found("approval");
  if (!approval->pending()) throw crm::conflict("the approval is " + approval->status + ", not PENDING");
  if (!approval->current_approver_id) throw crm::conflict("the approval awaits routing: no approver is assigned yet");
  const std::string caller = scope.user_id();
  if (caller.empty() || (caller != *approval->current_approver_id && !scope.is_admin()))
    throw crm::forbidden("only the current approver or an ADMIN may decide this approval");
  return *approval;
}

// Writes the decision: the row (through `update`, one statement returning
// approval_json), its history line, its event; replies the approval.
void decide(crm::Call& call, const crm::OwnerScope& scope, const Approval& approval, const std::string& action,
            const std::string& event, const std::optional<std::string>& comment, std::string_view update) {
  auto rows = call.sql(update, {approval.id});
  const std::string json(*rows.at(0, 0));
  const std::string decided_by = scope.user_id();
  record_history(call, approval.id,
                 HistoryEntry{action, approval.level, decided_by, comment, approval.current_approver_id, std::nullopt});
  call.emit(event, approval.id,
            crm::with_members(json, crm::JsonObject().field("decidedBy", decided_by).field("comment", comment)));
  call.reply(approval_with_history(call, approval.id));
}

} // namespace

void approve_approval(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto comment = crm::optional_note(in, "comment", 2000);
  const Approval approval = lock_decidable(call, scope, id);

  if (approval.level >= approval.required_levels.value_or(approval.level)) {
    decide(call, scope, approval, "APPROVED", "approval.approved", comment, R"sql(
      update approvals a set status = 'APPROVED', decided_at = now(), current_approver_id = null, updated_at = now()
      where a.id = $1::uuid
      returning approval_json(a))sql");
  } else {
    decide(call, scope, approval, "APPROVED", "approval.level_approved", comment, R"sql(
      update approvals a set current_approver_id = null, updated_at = now()
      where a.id = $1::uuid
      returning approval_json(a))sql");
  }
}

void reject_approval(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const std::string comment = crm::required_text(in, "comment", 2000);
  const Approval approval = lock_decidable(call, scope, id);
  decide(call, scope, approval, "REJECTED", "approval.rejected", comment, R"sql(
    update approvals a set status = 'REJECTED', decided_at = now(), current_approver_id = null, updated_at = now()
    where a.id = $1::uuid
    returning approval_json(a))sql");
}

} // namespace opportunity
