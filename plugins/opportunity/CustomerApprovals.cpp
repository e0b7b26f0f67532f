// CustomerApprovals: what the customer-deletion saga does to a customer's
// approvals, and its compensation. System only (workflows).
//
//   opportunity.cancel_for_customer {customerId}  cancels the customer's
//       PENDING approvals (history CANCELLED, approval.cancelled, which also
//       ends their deal_approval instances) -> {customerId, cancelled: [ids]}
//   opportunity.restore_for_customer {customerId, cancelled: [ids]}  makes
//       exactly those PENDING again, at their level with their approver, and
//       emits approval.requested (data.restored = true) so that a new
//       deal_approval instance takes each up where it stood -> the same shape.
//       Its input is cancel_for_customer's reply, as a saga hands it over.
//
// Each is idempotent: a repeat finds nothing left to change and reports an
// empty list. A customer's approvals are worked through in batches of at most
// crm::kTransferBatch rows per statement, all in the call's one transaction.
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"

#include <crm/sdk/batched_transfers.hpp>
#include <crm/sdk/input_rules.hpp>

#include <optional>
#include <string>
#include <vector>

namespace opportunity {

void cancel_for_customer(crm::Call& call) {
  const std::string customer = crm::required_uuid(call.input(), "customerId");
  const std::vector<std::optional<std::string>> one_pass{std::nullopt};
  const std::string cancelled = crm::run_in_batches(
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
                        {customer, crm::kTransferBatchRows});
      },
      [&](const crm::Rows& rows, size_t i) { call.emit("approval.cancelled", *rows.at(i, 0), *rows.at(i, 1)); });
  call.reply(crm::JsonObject().field("customerId", std::string_view(customer)).raw("cancelled", cancelled).str());
}

void restore_for_customer(crm::Call& call) {
  const auto& in = call.input();
  const std::string customer = crm::required_uuid(in, "customerId");
  // Only the ids given: a restore without them could bring back approvals
  // their requesters cancelled.
  const std::string restored = crm::run_in_batches(
      crm::id_batches(in, "cancelled", false),
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
      [&](const crm::Rows& rows, size_t i) {
        call.emit("approval.requested", *rows.at(i, 0),
                  crm::with_members(*rows.at(i, 1), crm::JsonObject().field("restored", true)));
      });
  call.reply(crm::JsonObject().field("customerId", std::string_view(customer)).raw("cancelled", restored).str());
}

} // namespace opportunity
