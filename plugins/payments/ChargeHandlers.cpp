// ChargeHandlers: an order's payment, for the order_fulfillment saga (all
// "system"). One row per order in `charges`; each operation is idempotent by
// that row, whatever key the saga's call came with:
//
// - payments.charge {orderId, amount, currency, token}: an order is charged
//   at most once, ever. A CHARGED row is the answer to every later charge.
//   Otherwise the attempt is written first, then the provider is asked with
//   the order's own idempotency key ("charge:<orderId>"), so a retry after a
//   timeout or a crash can never make a second charge. A decline is recorded
//   (committed although the call fails) and answered CONFLICT
//   "PAYMENT_DECLINED: ..."; no answer in time or a provider error is
//   UNAVAILABLE "PAYMENT_UNAVAILABLE: ..." (the saga retries); an open
//   circuit is UNAVAILABLE "PAYMENT_UNAVAILABLE: circuit open" at once.
// - payments.refund {orderId}: REFUNDED once for a CHARGED order (key
//   "refund:<orderId>"), REFUNDED again after that, NONE when nothing was
//   charged (a compensation after a failed charge).
// - payments.get {orderId}: {orderId, status NONE|CHARGED|DECLINED|REFUNDED,
//   chargeId, ...}.
//
// The row is locked for the whole call, so two calls for one order never ask
// the provider at the same time.
#include "Handlers.hpp"
#include "ProviderGate.hpp"
#include "SimulatedProvider.hpp"

#include <crm/sdk/input_rules.hpp>

#include <algorithm>
#include <string>

namespace payments {

namespace {

// "29.99": up to 10 integer digits, up to 2 decimals, above zero. A JSON
// number is taken by its text.
std::string required_amount(const crm::Input& in) {
  if (!in.has("amount")) throw crm::invalid("amount", "is required");
  const auto value = in.object().get("amount");
  if (!value.isString() && !value.isNumeric()) throw crm::invalid("amount", "must be a decimal amount such as \"29.99\"");
  const std::string text = value.toString();
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot);
  const std::string cents = dot == std::string::npos ? std::string() : text.substr(dot + 1);
  auto digits = [](const std::string& s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (whole.empty() || whole.size() > 10 || !digits(whole) || (dot != std::string::npos && (cents.empty() || cents.size() > 2 || !digits(cents))))
    throw crm::invalid("amount", "must be a decimal amount with at most two decimals");
  if (text.find_first_not_of("0.") == std::string::npos) throw crm::invalid("amount", "must be greater than 0");
  return text;
}

// The order's row (locked until the call ends), or nothing.
struct Payment {
  std::string status; // "" when there is no row
  std::string charge_id, refund_id, amount, currency;
};

Payment locked_payment(crm::Call& call, const std::string& order_id) {
  auto rows = call.sql("select status, coalesce(charge_id::text, ''), coalesce(refund_id::text, ''), amount::text, "
                       "currency from charges where order_id = $1::uuid for update",
                       {order_id});
  if (rows.empty()) return {};
  return Payment{std::string(*rows.at(0, 0)), std::string(*rows.at(0, 1)), std::string(*rows.at(0, 2)),
                 std::string(*rows.at(0, 3)), std::string(*rows.at(0, 4))};
}

std::string charged_reply(const std::string& order_id, const Payment& p) {
  return crm::JsonObject()
      .field("orderId", order_id)
      .field("chargeId", p.charge_id)
      .field("status", "CHARGED")
      .field("amount", p.amount)
      .field("currency", p.currency)
      .str();
}

} // namespace

void charge(crm::Call& call) {
  const auto& in = call.input();
  const std::string order_id = crm::required_uuid(in, "orderId");
  const std::string amount = required_amount(in);
  const std::string currency = in.required_text("currency");
  const std::string token = crm::required_text(in, "token", 200);

  call.sql("insert into charges (order_id, status, amount, currency) values ($1::uuid, 'PENDING', $2::numeric, $3) "
           "on conflict (order_id) do nothing",
           {order_id, amount, currency});
  Payment payment = locked_payment(call, order_id);
  if (payment.status == "CHARGED") {
    call.reply(charged_reply(order_id, payment));
    return;
  }
  if (payment.status == "REFUNDED") throw crm::conflict("PAYMENT_REFUNDED: the order's payment was refunded");

  // The attempt is on record before the provider hears of it.
  call.sql("update charges set attempts = attempts + 1, amount = $2::numeric, currency = $3, updated_at = now() "
           "where order_id = $1::uuid",
           {order_id, amount, currency});
  SimulatedProvider provider(call);
  const ProviderAnswer answer =
      gate().charge(provider, ChargeRequest{"charge:" + order_id, order_id, amount, currency, token});

  switch (answer.outcome) {
  case ProviderAnswer::Outcome::Approved: {
    auto rows = call.sql("update charges set status = 'CHARGED', charge_id = $2::uuid, last_error = null, "
                         "updated_at = now() where order_id = $1::uuid returning amount::text, currency",
                         {order_id, answer.reference});
    payment = Payment{"CHARGED", answer.reference, {}, std::string(*rows.at(0, 0)), std::string(*rows.at(0, 1))};
    const std::string reply = charged_reply(order_id, payment);
    call.emit("payment.charged", order_id, reply);
    call.reply(reply);
    return;
  }
  case ProviderAnswer::Outcome::Declined: {
    call.sql("update charges set status = 'DECLINED', last_error = $2, updated_at = now() where order_id = $1::uuid",
             {order_id, answer.reason});
    call.emit("payment.declined", order_id,
              crm::JsonObject()
                  .field("orderId", order_id)
                  .field("status", "DECLINED")
                  .field("amount", amount)
                  .field("currency", currency)
                  .field("reason", answer.reason)
                  .str());
    call.commit_on_failure(); // the decline and its event stay although the call fails
    throw crm::conflict("PAYMENT_DECLINED: " + answer.reason);
  }
  case ProviderAnswer::Outcome::NoAnswer:
  case ProviderAnswer::Outcome::Error: {
    const std::string why = answer.outcome == ProviderAnswer::Outcome::NoAnswer
                                ? "the provider did not answer within " + std::to_string(gate().timeout().count()) + " ms"
                                : "the provider failed: " + answer.reason;
    call.sql("update charges set last_error = $2, updated_at = now() where order_id = $1::uuid", {order_id, why});
    call.commit_on_failure(); // the attempt stays on record
    throw crm::Error(CRM_E_UNAVAILABLE, "PAYMENT_UNAVAILABLE: " + why);
  }
  }
}

void refund(crm::Call& call) {
  const std::string order_id = crm::required_uuid(call.input(), "orderId");
  Payment payment = locked_payment(call, order_id);
  if (payment.status == "REFUNDED") {
    call.reply(crm::JsonObject()
                   .field("orderId", order_id)
                   .field("status", "REFUNDED")
                   .field("chargeId", payment.charge_id)
                   .field("refundId", payment.refund_id)
                   .str());
    return;
  }
  if (payment.status != "CHARGED") {
    call.reply(crm::JsonObject().field("orderId", order_id).field("status", "NONE").str());
    return;
  }
  SimulatedProvider provider(call);
  const ProviderAnswer answer = gate().refund(
      provider, RefundRequest{"refund:" + order_id, order_id, payment.charge_id, payment.amount, payment.currency});
  if (answer.outcome == ProviderAnswer::Outcome::Declined)
    throw crm::conflict("PAYMENT_REFUND_REFUSED: " + answer.reason);
  if (answer.outcome != ProviderAnswer::Outcome::Approved)
    throw crm::Error(CRM_E_UNAVAILABLE, "PAYMENT_UNAVAILABLE: " + (answer.outcome == ProviderAnswer::Outcome::NoAnswer
                                                                      ? std::string("the provider did not answer")
                                                                      : "the provider failed: " + answer.reason));
  call.sql("update charges set status = 'REFUNDED', refund_id = $2::uuid, updated_at = now() where order_id = $1::uuid",
           {order_id, answer.reference});
  const std::string reply = crm::JsonObject()
                                .field("orderId", order_id)
                                .field("status", "REFUNDED")
                                .field("chargeId", payment.charge_id)
                                .field("refundId", answer.reference)
                                .field("amount", payment.amount)
                                .field("currency", payment.currency)
                                .str();
  call.emit("payment.refunded", order_id, reply);
  call.reply(reply);
}

void get_payment(crm::Call& call) {
  const std::string order_id = crm::required_uuid(call.input(), "orderId");
  // PENDING (tried, no answer yet) is no payment to the order.
  auto rows = call.sql("select jsonb_build_object('orderId', $1::uuid, "
                       "'status', case when status = 'PENDING' then 'NONE' else status end, "
                       "'chargeId', charge_id, 'refundId', refund_id, 'amount', amount::text, 'currency', currency, "
                       "'attempts', attempts, 'lastError', last_error)::text from charges where order_id = $1::uuid",
                       {order_id});
  if (rows.empty()) {
    call.reply(crm::JsonObject().field("orderId", order_id).field("status", "NONE").null("chargeId").str());
    return;
  }
  call.reply(*rows.at(0, 0));
}

} // namespace payments
