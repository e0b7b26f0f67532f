// OpportunityPlugin: the opportunity plugin as the host sees it: approval
// requests with their routes, roles and input schemas, the operations the
// deal_approval workflow and the sagas call, and the schema migrations. The
// handlers live in the Approval*.cpp files.
//
// Every route is open to any signed-in user ("*"); what each caller may see
// and decide is decided per approval (crm::OwnerScope, ApprovalDecisions). The
// schemas refuse fields they do not list, so a typo is a 422 rather than a
// silently ignored value.
#include "Handlers.hpp"
#include "Migrations.hpp"

#include <crm/plugin.hpp>

namespace {

constexpr const char* kCreateSchema = R"({"type":"object","additionalProperties":false,
  "required":["customerId","title","amount"],"properties":{
  "customerId":{"type":"string","format":"uuid"},
  "title":{"type":"string","minLength":1,"maxLength":200},
  "amount":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":10000000000000000},
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"},
  "description":{"type":["string","null"],"maxLength":5000}}})";

// "currency" is the path parameter.
constexpr const char* kRateSchema = R"({"type":"object","additionalProperties":false,
  "required":["currency","rate"],"properties":{
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"},
  "rate":{"type":"number","exclusiveMinimum":0,"maximum":1000000000}}})";

constexpr const char* kCurrencySchema = R"({"type":"object","required":["currency"],"properties":{
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"}}})";

// "id" is the path parameter.
constexpr const char* kApproveSchema = R"({"type":"object","additionalProperties":false,
  "required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "comment":{"type":["string","null"],"maxLength":2000}}})";

constexpr const char* kRejectSchema = R"({"type":"object","additionalProperties":false,
  "required":["id","comment"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "comment":{"type":"string","minLength":1,"maxLength":2000}}})";

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

constexpr const char* kAssignSchema = R"({"type":"object","additionalProperties":false,
  "required":["id","level","requiredLevels","approverId"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "level":{"type":"integer","minimum":1,"maximum":20},
  "requiredLevels":{"type":"integer","minimum":1,"maximum":20},
  "approverId":{"type":"string","format":"uuid"},
  "escalated":{"type":"boolean"}}})";

// Lists of ids may also be an empty object: see crm::id_batches() in TransferBatches.hpp.
constexpr const char* kReassignSchema = R"({"type":"object","required":["fromUserId","toUserId"],"properties":{
  "fromUserId":{"type":"string","format":"uuid"},
  "toUserId":{"type":"string","format":"uuid"},
  "ids":{"type":["array","object"],"items":{"type":"string","format":"uuid"}},
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kReassignBackSchema = R"({"type":"object","required":["transfer"],"properties":{
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kCountOwnedSchema = R"({"type":"object","required":["userId"],"properties":{
  "userId":{"type":"string","format":"uuid"}}})";

constexpr const char* kUndoReassignSchema = R"({"type":"object",
  "required":["fromUserId","toUserId","requested","approving"],"properties":{
  "fromUserId":{"type":"string","format":"uuid"},
  "toUserId":{"type":"string","format":"uuid"},
  "requested":{"type":["array","object"],"items":{"type":"string","format":"uuid"}},
  "approving":{"type":["array","object"],"items":{"type":"string","format":"uuid"}}}})";

constexpr const char* kCustomerSchema = R"({"type":"object","required":["customerId"],"properties":{
  "customerId":{"type":"string","format":"uuid"}}})";

constexpr const char* kRestoreSchema = R"({"type":"object","required":["customerId","cancelled"],"properties":{
  "customerId":{"type":"string","format":"uuid"},
  "cancelled":{"type":["array","object"],"items":{"type":"string","format":"uuid"}}}})";

using crm::handler;
namespace op = opportunity;

const crm_operation_def operations[] = {
    // Requests, decisions and reads.
    crm::read_operation("opportunity.approvals_list", "*", "/api/approvals", handler<op::list_approvals>,
                        "List approvals in the caller's scope, newest first "
                        "(?status=&customerId=&requesterId=&currentApproverId=)"),
    crm::operation("opportunity.approvals_create", "*", "POST", "/api/approvals", handler<op::create_approval>, 201,
                   kCreateSchema, "Request approval of a deal with a customer the caller can see"),
    crm::read_operation("opportunity.approvals_stats", "*", "/api/approvals/stats", handler<op::approval_stats>,
                        "Approval counts and amounts (per currency) by status in the caller's scope"),
    crm::read_operation("opportunity.exchange_rates_list", "*", "/api/approvals/exchange-rates",
                        handler<op::list_exchange_rates>,
                        "What one unit of each currency is worth in EUR, the currency approvals are routed in"),
    crm::operation("opportunity.exchange_rates_put", "ADMIN", "PUT", "/api/approvals/exchange-rates/{currency}",
                   handler<op::put_exchange_rate>, 0, kRateSchema,
                   "Set a currency's rate to EUR (requests in a currency without one are refused)"),
    crm::read_operation("opportunity.approvals_get", "*", "/api/approvals/{id}", handler<op::get_approval>,
                        "One approval with its history (requester, approvers, the requester's managers, ADMIN)"),
    crm::operation("opportunity.approvals_approve", "*", "PATCH", "/api/approvals/{id}/approve",
                   handler<op::approve_approval>, 0, kApproveSchema,
                   "Approve the current level (the current approver or an ADMIN)"),
    crm::operation("opportunity.approvals_reject", "*", "PATCH", "/api/approvals/{id}/reject",
                   handler<op::reject_approval>, 0, kRejectSchema,
                   "Reject, with a comment (the current approver or an ADMIN)"),
    crm::operation("opportunity.approvals_cancel", "*", "PATCH", "/api/approvals/{id}/cancel",
                   handler<op::cancel_approval>, 0, kApproveSchema, "Cancel a PENDING approval (its requester)"),
    // The deal_approval workflow's routing.
    crm::internal_operation("opportunity.assign", "system", handler<op::assign_approver>, kAssignSchema),
    crm::internal_operation("opportunity.get", "system", handler<op::get_for_workflow>, kIdSchema),
    crm::with_flags(crm::internal_operation("opportunity.exchange_rate", "system",
                                            handler<op::exchange_rate_for_workflow>, kCurrencySchema),
                    CRM_OP_READ_ONLY),
    // Saga steps and compensations.
    crm::internal_operation("opportunity.reassign", "system", handler<op::reassign_approvals>, kReassignSchema),
    crm::internal_operation("opportunity.reassign_undo", "system", handler<op::undo_reassign_approvals>,
                            kUndoReassignSchema),
    crm::internal_operation("opportunity.reassign_back", "system", handler<op::reassign_back>, kReassignBackSchema),
    crm::with_flags(
        crm::internal_operation("opportunity.count_owned", "system", handler<op::count_owned>, kCountOwnedSchema),
        CRM_OP_READ_ONLY),
    crm::internal_operation("opportunity.cancel_for_customer", "system", handler<op::cancel_for_customer>,
                            kCustomerSchema),
    crm::internal_operation("opportunity.restore_for_customer", "system", handler<op::restore_for_customer>,
                            kRestoreSchema),
};

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"approval.requested", "approval.assigned", "approval.level_approved",
                              "approval.approved",  "approval.rejected", "approval.cancelled"};

CRM_PLUGIN(crm::plugin("opportunity", "1.0.0", "Deal approval requests and their decision history")
               .operations(operations)
               .emits(kEmits)
               .migrations(opportunity::kMigrations))
