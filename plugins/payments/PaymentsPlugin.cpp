// PaymentsPlugin: the payments plugin as the host sees it: its operations
// with roles and input schemas, its migrations, the events it emits and its
// start-up, which reads plugin.payments.* and sets up the provider gate
// (timeout and circuit breaker, ProviderGate).
//
// Events: payment.charged ({orderId, chargeId, status, amount, currency}),
// payment.declined ({orderId, status, amount, currency, reason}),
// payment.refunded ({orderId, status, chargeId, refundId, amount,
// currency}), all with the order id as subject.
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "ProviderGate.hpp"
#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <exception>
#include <string>

namespace {

// The amount's decimals are checked by the handler.
constexpr const char* kChargeSchema = R"({"type":"object","required":["orderId","amount","currency","token"],
  "properties":{
  "orderId":{"type":"string","format":"uuid"},
  "amount":{"type":["string","number"]},
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"},
  "token":{"type":"string","minLength":1,"maxLength":200}}})";

constexpr const char* kOrderSchema = R"({"type":"object","required":["orderId"],"properties":{
  "orderId":{"type":"string","format":"uuid"}}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::internal_operation("payments.charge", "system", handler<payments::charge>, kChargeSchema),
    crm::internal_operation("payments.refund", "system", handler<payments::refund>, kOrderSchema),
    crm::with_flags(crm::internal_operation("payments.get", "system", handler<payments::get_payment>, kOrderSchema),
                    CRM_OP_READ_ONLY),
    crm::read_operation("payments.ledger", "ADMIN", "/api/payments/ledger", handler<payments::ledger>,
                        "The payment provider's books: every charge and refund it executed (?orderId=)"),
};

crm_status init(const char* config_json, void** state) {
  *state = nullptr;
  try {
    const payments::Settings settings = payments::parse_settings(config_json ? config_json : "");
    payments::use_gate(settings);
    payments::gate().publish("simulated");
  } catch (const std::exception& e) {
    crm::detail::host->log(nullptr, CRM_LOG_ERROR, (std::string("bad configuration: ") + e.what()).c_str());
    return CRM_E_INVALID;
  }
  return CRM_OK;
}

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"payment.charged", "payment.declined", "payment.refunded"};

CRM_PLUGIN(crm::plugin("payments", "1.0.0", "Order payments through a provider, with a timeout and a circuit breaker")
               .operations(operations)
               .emits(kEmits)
               .migrations(payments::kMigrations)
               .on_init(init))
