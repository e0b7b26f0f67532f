// ApprovalRequests: what a requester does with an approval request.
//
//   POST  /api/approvals {customerId, title, amount, currency?, description?}
//         -> 201 the approval (PENDING, with its history), approval.requested
//   PATCH /api/approvals/{id}/cancel {comment?}
//         -> the approval, CANCELLED, approval.cancelled
//
// The currency must have an exchange rate (ExchangeRates.cpp), so the
// workflow can compare the amount with its thresholds.
// The customer must exist and be visible to the requester: the customer
// plugin decides that through customer.get, before anything is written.
// Who decides the request is the deal_approval workflow's business: it hears
// approval.requested and assigns the first approver (ApprovalRouting.cpp).
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"
#include "AmountRules.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/peer_checks.hpp>

#include <string>

namespace opportunity {

void create_approval(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string requester = scope.user_id();
  if (requester.empty()) throw crm::forbidden("an approval is requested by a signed-in user");
  const std::string customer = crm::required_uuid(in, "customerId");
  const std::string title = crm::required_text(in, "title", 200);
  const std::string amount = required_amount(in, "amount");
  const std::string currency = currency_or(in, "currency", "EUR");
  const auto description = crm::optional_note(in, "description", 5000);

  // Checked before this call's own transaction opens: nothing is written
  // unless the customer is there for the requester.
  crm::require_visible_customer(call, customer, "customerId");
  // Routing compares amounts in one currency: one it cannot convert is refused.
  require_exchange_rate(call, currency, "currency");

  auto rows = call.sql(R"sql(
    insert into approvals as a (customer_id, requester_id, title, amount, currency, description)
    values ($1::uuid, $2::uuid, $3, $4::numeric, $5, $6)
    returning a.id, approval_json(a))sql",
                       {customer, requester, title, amount, currency, description});
  const std::string id(*rows.at(0, 0));
  const std::string approval(*rows.at(0, 1));
  record_history(call, id, HistoryEntry{"REQUESTED", 0, requester, std::nullopt, std::nullopt, std::nullopt});
  call.emit("approval.requested", id, approval);
  call.reply(approval_with_history(call, id));
}

// Only the requester cancels, whatever the state (so anyone else gets 403
// before the state is looked at); then only a PENDING request (409).
void cancel_approval(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto comment = crm::optional_note(in, "comment", 2000);
  const auto approval = lock_approval(call, scope, id);
  if (!approval) throw crm::not_found("approval");
  if (approval->requester_id != scope.user_id()) throw crm::forbidden("only the requester may cancel an approval");
  if (!approval->pending()) throw crm::conflict("the approval is " + approval->status + ", not PENDING");

  auto rows = call.sql(R"sql(
    update approvals a set status = 'CANCELLED', decided_at = now(), current_approver_id = null, updated_at = now()
    where a.id = $1::uuid
    returning approval_json(a))sql",
                       {id});
  const std::string cancelled(*rows.at(0, 0)); // rows live until the next sql()
  record_history(call, id,
                 HistoryEntry{"CANCELLED", approval->level, scope.user_id(), comment, approval->current_approver_id,
                              std::nullopt});
  call.emit("approval.cancelled", id, cancelled);
  call.reply(approval_with_history(call, id));
}

} // namespace opportunity
