// ApprovalRecords: see the header.
#include "ApprovalRecords.hpp"

namespace opportunity {

namespace {

std::optional<std::string> text_at(const crm::Rows& rows, size_t column) {
  if (auto v = rows.at(0, column)) return std::string(*v);
  return std::nullopt;
}

} // namespace

std::optional<Approval> lock_approval(crm::Call& call, const crm::OwnerScope& scope, const std::string& id) {
  auto rows = call.sql(R"sql(
    select a.requester_id, a.status, a.level, a.required_levels, a.current_approver_id
    from approvals a
    where a.id = $1::uuid and visible_to(a, $2::uuid[], $3::uuid)
    for update)sql",
                       {id, scope.owners_array(), scope.viewer()});
  if (rows.empty()) return std::nullopt;
  Approval a;
  a.id = id;
  a.requester_id = std::string(*rows.at(0, 0));
  a.status = std::string(*rows.at(0, 1));
  a.level = std::stoll(std::string(*rows.at(0, 2)));
  if (auto required = text_at(rows, 3)) a.required_levels = std::stoll(*required);
  a.current_approver_id = text_at(rows, 4);
  return a;
}

void record_history(crm::Call& call, const std::string& approval_id, const HistoryEntry& entry) {
  call.sql(
      R"sql(
    insert into approval_history (approval_id, actor_id, action, level, comment, approver_id, previous_approver_id)
    values ($1::uuid, $2::uuid, $3, $4::int, $5, $6::uuid, $7::uuid))sql",
      {approval_id, entry.actor, entry.action, entry.level, entry.comment, entry.approver, entry.previous_approver});
}

std::string approval_json(crm::Call& call, const std::string& id) {
  auto rows = call.sql("select approval_json(a) from approvals a where a.id = $1::uuid", {id});
  if (rows.empty()) throw crm::not_found("approval");
  return std::string(*rows.at(0, 0));
}

std::string approval_with_history(crm::Call& call, const std::string& id) {
  auto rows =
      call.sql("select approval_json(a), approval_history_json(a.id) from approvals a where a.id = $1::uuid", {id});
  if (rows.empty()) throw crm::not_found("approval");
  return crm::with_members(*rows.at(0, 0), crm::JsonObject().raw("history", *rows.at(0, 1)));
}

} // namespace opportunity
