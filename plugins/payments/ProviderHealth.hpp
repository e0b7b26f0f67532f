// ProviderHealth: what the payments plugin tells the host's probes and
// metrics about its provider, through the "health" service (ABI 1.5):
// component "payments.provider" (down while the circuit is open), gauge
// crm_payments_circuit_state{provider} (0 closed, 1 open, 2 half-open) and
// counter crm_payments_provider_calls_total{provider, outcome}. A host
// without the service gets nothing, and the plugin works the same.
#pragma once

#include "CircuitBreaker.hpp"

namespace payments {

void report_circuit(const char* provider, CircuitBreaker::State state);
// outcome: approved, declined, timeout, error, rejected (refused by the open circuit).
void count_call(const char* provider, const char* outcome);

} // namespace payments
