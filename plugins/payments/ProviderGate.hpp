// ProviderGate: the one way to the payment provider. Each call gets a
// deadline (plugin.payments.timeout_ms) and goes through the host-wide
// circuit breaker: while it is open the gate answers at once with
// CRM_E_UNAVAILABLE "PAYMENT_UNAVAILABLE: circuit open", without touching the
// provider. Timeouts and provider errors count as failures; a decline is an
// answer. The breaker's state and the calls by outcome go to the host's
// "health" service when the host has one (ProviderHealth).
//
// Thread-safety: one gate serves every call of the host; the breaker is
// guarded by a mutex that is never held while the provider works.
#pragma once

#include "CircuitBreaker.hpp"
#include "PaymentProvider.hpp"
#include "Settings.hpp"

#include <functional>
#include <mutex>

namespace payments {

class ProviderGate {
public:
  explicit ProviderGate(const Settings& settings);

  ProviderAnswer charge(PaymentProvider& provider, const ChargeRequest& request);
  ProviderAnswer refund(PaymentProvider& provider, const RefundRequest& request);

  std::chrono::milliseconds timeout() const { return timeout_; }
  // Tells the health service the current state (at start).
  void publish(const char* provider);

private:
  ProviderAnswer through(PaymentProvider& provider,
                         const std::function<ProviderAnswer(PaymentProvider::Deadline)>& send);

  // Tells the health service, and the log when it changed; under mutex_.
  void note_state(const char* provider, CircuitBreaker::State now);

  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  CircuitBreaker breaker_;
  CircuitBreaker::State last_state_ = CircuitBreaker::State::Closed;
};

// The gate of this host, made by init from the settings.
ProviderGate& gate();
void use_gate(const Settings& settings);

} // namespace payments
