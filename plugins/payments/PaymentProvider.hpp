// PaymentProvider: what the payments plugin needs from a payment provider,
// whichever it is. Every request carries an idempotency key (the same
// request sent again with the same key gets the first answer, and the money
// moves at most once) and a deadline: a provider that cannot answer by then
// answers NoAnswer, and the caller does not know whether anything happened,
// which is why it repeats the request with the same key.
#pragma once

#include <chrono>
#include <string>

namespace payments {

struct ProviderAnswer {
  enum class Outcome {
    Approved, // the money moved; `reference` names the charge or refund
    Declined, // a business refusal (`reason`): the provider works
    NoAnswer, // nothing came back by the deadline
    Error,    // the provider failed (`reason`)
  };
  Outcome outcome = Outcome::Error;
  std::string reference;
  std::string reason;
};

struct ChargeRequest {
  std::string idempotency_key;
  std::string order_id;
  std::string amount; // decimal text, "29.99"
  std::string currency;
  std::string token; // the card's token as the shop received it
};

struct RefundRequest {
  std::string idempotency_key;
  std::string order_id;
  std::string charge_reference;
  std::string amount;
  std::string currency;
};

class PaymentProvider {
public:
  using Deadline = std::chrono::steady_clock::time_point;
  virtual ~PaymentProvider() = default;
  // Its name in metrics and health ("simulated").
  virtual const char* name() const = 0;
  virtual ProviderAnswer charge(const ChargeRequest& request, Deadline deadline) = 0;
  virtual ProviderAnswer refund(const RefundRequest& request, Deadline deadline) = 0;
};

} // namespace payments
