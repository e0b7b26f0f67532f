// OrderSteps: the operations the order_fulfillment saga calls, as the
// system, each with an idempotency key the host keeps; each is also
// idempotent by the order's own data, since a retry may reach it again
// with another key.
//
//   orders.begin   {orderId} -> what the saga needs to fulfil the order.
//                  Never refused for a cancel request: the saga's first step
//                  must complete so that its compensation (orders.fail) runs.
//   orders.advance {orderId, status: RESERVED|PAID|SHIPPED, event, chargeId?,
//                  trackingNumber?, carrier?} -> {orderId, status}. Forward
//                  only; a status reached already changes nothing; a cancel
//                  request answers CONFLICT "CANCELLED". SHIPPED notifies the
//                  customer's owner (ORDER_SHIPPED).
//   orders.confirm {orderId} -> {orderId, confirmationSentAt}: the
//                  confirmation to the user who placed it, once per order.
//   orders.fail    {orderId, reason} -> {orderId, status, failureReason}:
//                  FAILED with the reason (the owner is notified,
//                  ORDER_FAILED), or CANCELLED when a cancel was requested.
#include "Handlers.hpp"
#include "OrderNotifications.hpp"
#include "OrderRecord.hpp"

#include <crm/sdk/input_rules.hpp>

#include <optional>
#include <string>

namespace orders {

namespace {

LockedOrder lock_existing(crm::Call& call, const std::string& id) {
  auto order = lock_order(call, id);
  if (!order) throw crm::not_found("order");
  return *order;
}

// "59.98 USD", for a notification's text.
std::string amount_of(crm::Call& call, const std::string& id) {
  auto rows = call.sql("select total::text || ' ' || currency from orders where id = $1::uuid", {id});
  return std::string(*rows.at(0, 0));
}

std::string short_id(const std::string& id) { return id.substr(0, 8); }

std::string status_reply(const std::string& id, const std::string& status) {
  return crm::JsonObject().field("orderId", id).field("status", status).str();
}

} // namespace

void begin_order(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "orderId");
  auto rows = call.sql(R"sql(
    select json_build_object(
      'orderId', o.id, 'customerId', o.customer_id, 'ownerId', o.owner_id, 'placedBy', o.placed_by,
      'items', (select json_agg(json_build_object('sku', l.sku, 'quantity', l.quantity, 'price', l.price::text)
                                order by l.line)
                from order_lines l where l.order_id = o.id),
      'total', o.total::text, 'currency', o.currency, 'paymentToken', o.payment_token,
      'shippingAddress', o.shipping_address, 'status', o.status, 'cancelRequested', o.cancel_requested)
    from orders o where o.id = $1::uuid)sql",
                       {id});
  if (rows.empty()) throw crm::not_found("order");
  call.reply(*rows.at(0, 0));
}

void advance_order(crm::Call& call) {
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "orderId");
  const std::string target = in.required_text("status");
  const int target_rank = forward_rank(target);
  if (target_rank < 1 || target_rank > 3) throw crm::invalid("status", "must be one of RESERVED, PAID, SHIPPED");
  const std::string event = in.text("event").value_or("order." + crm::lower_ascii(target));
  const auto charge_id = in.text("chargeId");
  const auto tracking_number = in.text("trackingNumber");
  const auto carrier = in.text("carrier");

  const LockedOrder order = lock_existing(call, id);
  if (order.cancel_requested) throw crm::conflict("CANCELLED");
  if (forward_rank(order.status) < 0) throw crm::conflict("the order is " + order.status);
  if (forward_rank(order.status) >= target_rank) {
    call.reply(status_reply(id, order.status)); // reached already: nothing changes
    return;
  }
  call.sql(R"sql(
    update orders set
      payment_status = case when $2 = 'PAID' then 'CHARGED' else payment_status end,
      charge_id = coalesce($3, charge_id),
      tracking_number = coalesce($4, tracking_number),
      carrier = coalesce($5, carrier)
    where id = $1::uuid)sql",
           {id, target, charge_id, tracking_number, carrier});
  change_status(call, id, target, event);
  if (target == "SHIPPED") {
    auto shipment = call.sql("select coalesce(carrier, '') || ' ' || coalesce(tracking_number, '') from orders "
                             "where id = $1::uuid",
                             {id});
    send_notice(call, {id, order.owner_id, "ORDER_SHIPPED", "Order " + short_id(id) + " shipped",
                       "Order " + id + " (" + amount_of(call, id) + ") shipped: " + std::string(*shipment.at(0, 0))});
  }
  call.reply(status_reply(id, target));
}

void confirm_order(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "orderId");
  const LockedOrder order = lock_existing(call, id);
  std::optional<std::string> sent_at = order.confirmation_sent_at;
  if (!sent_at) {
    const auto outcome = send_notice(call, {id, order.placed_by, "ORDER_CONFIRMED", "Order " + short_id(id) + " confirmed",
                                            "Order " + id + " (" + amount_of(call, id) + ") is paid and confirmed"});
    // A notifier that is there but cannot answer now: the step is retried
    // (the notice's key keeps it to one). No notifier at all: skipped.
    if (outcome == NoticeOutcome::failed) throw crm::Error(CRM_E_UNAVAILABLE, "the confirmation cannot be sent now");
    if (outcome == NoticeOutcome::sent) {
      auto rows = call.sql("update orders set confirmation_sent_at = now() where id = $1::uuid "
                           "returning api_time(confirmation_sent_at)",
                           {id});
      sent_at = std::string(*rows.at(0, 0));
    }
  } else {
    auto rows = call.sql("select api_time(confirmation_sent_at) from orders where id = $1::uuid", {id});
    sent_at = std::string(*rows.at(0, 0));
  }
  call.reply(crm::JsonObject().field("orderId", id).field("confirmationSentAt", sent_at).str());
}

void fail_order(crm::Call& call) {
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "orderId");
  const std::string reason = in.required_text("reason");
  const LockedOrder order = lock_existing(call, id);
  if (order.status == "FAILED" || order.status == "CANCELLED") {
    auto rows = call.sql("select failure_reason from orders where id = $1::uuid", {id});
    const auto kept = rows.at(0, 0);
    call.reply(crm::JsonObject()
                   .field("orderId", id)
                   .field("status", order.status)
                   .field("failureReason", kept ? std::optional<std::string>(std::string(*kept)) : std::nullopt)
                   .str());
    return;
  }
  if (order.status == "SHIPPED" || order.status == "DELIVERED")
    throw crm::conflict("the order is " + order.status + " and cannot fail");
  if (order.cancel_requested) {
    change_status(call, id, "CANCELLED", "order.cancelled");
    call.reply(crm::JsonObject().field("orderId", id).field("status", "CANCELLED").null("failureReason").str());
    return;
  }
  change_status(call, id, "FAILED", "order.failed", reason);
  send_notice(call, {id, order.owner_id, "ORDER_FAILED", "Order " + short_id(id) + " failed",
                     "Order " + id + " (" + amount_of(call, id) + ") failed: " + reason});
  call.reply(crm::JsonObject().field("orderId", id).field("status", "FAILED").field("failureReason", reason).str());
}

} // namespace orders
