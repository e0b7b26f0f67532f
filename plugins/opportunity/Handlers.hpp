// Handlers: every operation of the opportunity plugin, one function each,
// declared for the operation table in OpportunityPlugin.cpp. Each throws
// crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace opportunity {

// ApprovalRequests.cpp: what a requester does
void create_approval(crm::Call& call);
void cancel_approval(crm::Call& call);

// ApprovalQueries.cpp: reading, in the caller's scope
void list_approvals(crm::Call& call);
void get_approval(crm::Call& call);
void approval_stats(crm::Call& call);

// ApprovalDecisions.cpp: what an approver does
void approve_approval(crm::Call& call);
void reject_approval(crm::Call& call);

// ApprovalRouting.cpp: what the deal_approval workflow calls (system only)
void assign_approver(crm::Call& call);
void get_for_workflow(crm::Call& call);

// ExchangeRates.cpp: amounts in one currency for routing
void list_exchange_rates(crm::Call& call);
void put_exchange_rate(crm::Call& call);
void exchange_rate_for_workflow(crm::Call& call);
// Throws invalid(key) when `currency` has no rate.
void require_exchange_rate(crm::Call& call, const std::string& currency, const std::string& key);

// ApprovalReassignment.cpp: the reassignment saga's steps (system only)
void reassign_approvals(crm::Call& call);
void undo_reassign_approvals(crm::Call& call);
void reassign_back(crm::Call& call);
void count_owned(crm::Call& call);

// CustomerApprovals.cpp: the customer-deletion saga's steps (system only)
void cancel_for_customer(crm::Call& call);
void restore_for_customer(crm::Call& call);

} // namespace opportunity
