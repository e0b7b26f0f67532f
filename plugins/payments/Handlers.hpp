// Handlers: every operation of the payments plugin, one function each,
// declared for the operation table in PaymentsPlugin.cpp.
#pragma once

#include <crm/plugin.hpp>

namespace payments {

// ChargeHandlers.cpp: payments.charge, payments.refund, payments.get (system).
void charge(crm::Call& call);
void refund(crm::Call& call);
void get_payment(crm::Call& call);

// LedgerHandler.cpp: GET /api/payments/ledger (ADMIN).
void ledger(crm::Call& call);

} // namespace payments
