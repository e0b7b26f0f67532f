// ProviderGate: see the header.
#include "ProviderGate.hpp"

#include "ProviderHealth.hpp"

#include <crm/plugin.hpp>

#include <memory>
#include <string>

namespace payments {

namespace {

std::unique_ptr<ProviderGate> g_gate;

const char* outcome_name(ProviderAnswer::Outcome outcome) {
  switch (outcome) {
  case ProviderAnswer::Outcome::Approved: return "approved";
  case ProviderAnswer::Outcome::Declined: return "declined";
  case ProviderAnswer::Outcome::NoAnswer: return "timeout";
  case ProviderAnswer::Outcome::Error: return "error";
  }
  return "error";
}

} // namespace

ProviderGate::ProviderGate(const Settings& settings) : timeout_(settings.timeout), breaker_(settings.breaker) {}

ProviderAnswer ProviderGate::charge(PaymentProvider& provider, const ChargeRequest& request) {
  return through(provider, [&](PaymentProvider::Deadline deadline) { return provider.charge(request, deadline); });
}

ProviderAnswer ProviderGate::refund(PaymentProvider& provider, const RefundRequest& request) {
  return through(provider, [&](PaymentProvider::Deadline deadline) { return provider.refund(request, deadline); });
}

void ProviderGate::publish(const char* provider) {
  std::lock_guard lock(mutex_);
  report_circuit(provider, breaker_.state(CircuitBreaker::Clock::now()));
}

void ProviderGate::note_state(const char* provider, CircuitBreaker::State now) {
  report_circuit(provider, now);
  if (now == last_state_) return;
  const std::string line = std::string("payment provider ") + provider + ": circuit " + state_name(now) + " (was " +
                           state_name(last_state_) + ")";
  last_state_ = now;
  crm::detail::host->log(nullptr, now == CircuitBreaker::State::Open ? CRM_LOG_WARN : CRM_LOG_INFO, line.c_str());
}

ProviderAnswer ProviderGate::through(PaymentProvider& provider,
                                     const std::function<ProviderAnswer(PaymentProvider::Deadline)>& send) {
  const auto start = CircuitBreaker::Clock::now();
  {
    std::lock_guard lock(mutex_);
    const bool allowed = breaker_.allow(start);
    note_state(provider.name(), breaker_.state(start));
    if (!allowed) {
      count_call(provider.name(), "rejected");
      throw crm::Error(CRM_E_UNAVAILABLE, "PAYMENT_UNAVAILABLE: circuit open");
    }
  }
  ProviderAnswer answer;
  try {
    answer = send(start + timeout_);
  } catch (...) {
    // The books could not be written (the database): the call failed, and
    // the breaker must hear of it or a half-open trial would never end.
    std::lock_guard lock(mutex_);
    const auto now = CircuitBreaker::Clock::now();
    breaker_.record_failure(now);
    count_call(provider.name(), "error");
    note_state(provider.name(), breaker_.state(now));
    throw;
  }
  const auto end = CircuitBreaker::Clock::now();
  // An answer that came after the deadline is still the provider's answer
  // (its books have it); only a missing one is a timeout.
  const bool failed =
      answer.outcome == ProviderAnswer::Outcome::NoAnswer || answer.outcome == ProviderAnswer::Outcome::Error;
  std::lock_guard lock(mutex_);
  if (failed) breaker_.record_failure(end);
  else breaker_.record_success(end);
  count_call(provider.name(), outcome_name(answer.outcome));
  note_state(provider.name(), breaker_.state(end));
  return answer;
}

ProviderGate& gate() { return *g_gate; }
void use_gate(const Settings& settings) { g_gate = std::make_unique<ProviderGate>(settings); }

} // namespace payments

