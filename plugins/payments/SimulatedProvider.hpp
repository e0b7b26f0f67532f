// SimulatedProvider: a payment provider for development and tests that
// behaves by the card token: tok_ok pays, tok_decline is declined, tok_slow
// never answers in time (it waits out the deadline), any other token is
// declined as invalid. It keeps its books in the plugin's provider_books
// table, written in the call's transaction: every charge and refund it
// executed, keyed by the idempotency key, so a repeated key returns the
// first answer and the books show that nothing happened twice.
#pragma once

#include "PaymentProvider.hpp"

#include <crm/plugin.hpp>

namespace payments {

class SimulatedProvider : public PaymentProvider {
public:
  explicit SimulatedProvider(crm::Call& call) : call_(call) {}
  const char* name() const override { return "simulated"; }
  ProviderAnswer charge(const ChargeRequest& request, Deadline deadline) override;
  ProviderAnswer refund(const RefundRequest& request, Deadline deadline) override;

private:
  crm::Call& call_;
};

} // namespace payments
