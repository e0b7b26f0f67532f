// SimulatedProvider: see the header.
#include "SimulatedProvider.hpp"

#include <optional>
#include <string>
#include <thread>

namespace payments {

namespace {

// The answer the books hold for `key`, if the provider executed it already.
std::optional<ProviderAnswer> booked(crm::Call& call, const std::string& key) {
  auto rows = call.sql("select outcome, reference, coalesce(reason, '') from provider_books where idempotency_key = $1",
                       {key});
  if (rows.empty()) return std::nullopt;
  ProviderAnswer a;
  a.outcome = *rows.at(0, 0) == "APPROVED" ? ProviderAnswer::Outcome::Approved : ProviderAnswer::Outcome::Declined;
  a.reference = std::string(*rows.at(0, 1));
  a.reason = std::string(*rows.at(0, 2));
  return a;
}

// Writes the entry unless the key has one; returns the key's entry either way.
ProviderAnswer book(crm::Call& call, const std::string& key, const char* kind, const std::string& order_id,
                    const std::string& amount, const std::string& currency, bool approved, const std::string& reason) {
  call.sql("insert into provider_books (idempotency_key, kind, order_id, amount, currency, outcome, reason) "
           "values ($1, $2, $3::uuid, $4::numeric, $5, $6, $7) on conflict (idempotency_key) do nothing",
           {key, kind, order_id, amount, currency, approved ? "APPROVED" : "DECLINED",
            reason.empty() ? crm::Param(nullptr) : crm::Param(reason)});
  return *booked(call, key);
}

} // namespace

ProviderAnswer SimulatedProvider::charge(const ChargeRequest& request, Deadline deadline) {
  if (auto first = booked(call_, request.idempotency_key)) return *first;
  if (request.token == "tok_slow") {
    // A provider that hangs: the caller's deadline passes without an answer.
    std::this_thread::sleep_until(deadline);
    return ProviderAnswer{ProviderAnswer::Outcome::NoAnswer, {}, {}};
  }
  if (request.token == "tok_ok")
    return book(call_, request.idempotency_key, "CHARGE", request.order_id, request.amount, request.currency, true, {});
  const std::string reason = request.token == "tok_decline" ? "card declined" : "invalid card token";
  return book(call_, request.idempotency_key, "CHARGE", request.order_id, request.amount, request.currency, false,
              reason);
}

ProviderAnswer SimulatedProvider::refund(const RefundRequest& request, Deadline) {
  if (auto first = booked(call_, request.idempotency_key)) return *first;
  auto charged = call_.sql("select 1 from provider_books where reference = $1::uuid and kind = 'CHARGE' and "
                           "outcome = 'APPROVED'",
                           {request.charge_reference});
  if (charged.empty()) return ProviderAnswer{ProviderAnswer::Outcome::Declined, {}, "no such charge"};
  return book(call_, request.idempotency_key, "REFUND", request.order_id, request.amount, request.currency, true, {});
}

} // namespace payments
