// ApprovalRecords: reading, locking and recording approvals, shared by every
// handler: the row a change starts from, a history entry, the API object with
// or without its history. Event data adds fields with crm::with_members.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/json_members.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opportunity {

// What a change needs to know of an approval.
struct Approval {
  std::string id;
  std::string requester_id;
  std::string status; // PENDING, APPROVED, REJECTED, CANCELLED
  std::int64_t level = 0;
  std::optional<std::int64_t> required_levels;    // nullopt until routed
  std::optional<std::string> current_approver_id; // nullopt: awaiting routing, or decided

  bool pending() const { return status == "PENDING"; }
};

// The approval `id` locked for a change (FOR UPDATE), if it exists and the
// caller may see it.
std::optional<Approval> lock_approval(crm::Call& call, const crm::OwnerScope& scope, const std::string& id);

// One line of an approval's history.
struct HistoryEntry {
  std::string action; // REQUESTED, ASSIGNED, ESCALATED, APPROVED, REJECTED, CANCELLED
  std::int64_t level = 0;
  std::optional<std::string> actor; // the user who acted; nullopt: the platform
  std::optional<std::string> comment;
  std::optional<std::string> approver;
  std::optional<std::string> previous_approver;
};

void record_history(crm::Call& call, const std::string& approval_id, const HistoryEntry& entry);

// The approval as the API shows it: without history (lists, events) or with
// it (one approval). Throws not_found when there is no such approval.
std::string approval_json(crm::Call& call, const std::string& id);
std::string approval_with_history(crm::Call& call, const std::string& id);

} // namespace opportunity
