// ProviderHealth: see the header.
#include "ProviderHealth.hpp"

#include <crm/plugin.hpp>

#include <string>

namespace payments {

namespace {

const crm_health_service* health() {
  return crm::service<crm_health_service>(CRM_SERVICE_HEALTH, CRM_SERVICE_HEALTH_VERSION);
}

std::string provider_label(const char* provider) {
  std::string label = "provider=";
  crm::append_json_string(label, provider); // a Prometheus label value is quoted like a JSON string
  return label;
}

} // namespace

void report_circuit(const char* provider, CircuitBreaker::State state) {
  const auto* service = health();
  if (!service) return;
  const std::string detail = std::string(provider) + " provider, circuit " + state_name(state);
  service->report("payments.provider", state != CircuitBreaker::State::Open, detail.c_str());
  service->gauge("crm_payments_circuit_state",
                 "The payment provider's circuit breaker: 0 closed, 1 open, 2 half-open",
                 provider_label(provider).c_str(), static_cast<double>(static_cast<int>(state)));
}

void count_call(const char* provider, const char* outcome) {
  const auto* service = health();
  if (!service) return;
  std::string labels = provider_label(provider) + ",outcome=";
  crm::append_json_string(labels, outcome);
  service->count("crm_payments_provider_calls_total",
                 "Calls to the payment provider by outcome (rejected: refused by the open circuit)", labels.c_str(),
                 1.0);
}

} // namespace payments
