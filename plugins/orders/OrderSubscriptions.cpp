// OrderSubscriptions: what other plugins' events change in an order. The
// input is the event's envelope {id, type, subject, data, ...}; the host
// records the event id in the inbox in this transaction, so a redelivery
// changes nothing.
//
//   shipment.delivered {orderId, trackingNumber, carrier} -> DELIVERED
//     (timeline entry "shipment.delivered"). An order not SHIPPED yet (the
//     saga's last step still running) is retried later: UNAVAILABLE makes
//     the host deliver the event again. A FAILED or CANCELLED order stays so.
//   payment.refunded {orderId} -> the order's payment is REFUNDED.
#include "Handlers.hpp"
#include "OrderRecord.hpp"

#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>

namespace orders {

namespace {

// The order an event is about: data.orderId, else the subject.
std::optional<std::string> order_of(crm::Call& call) {
  const auto& envelope = call.input().object();
  std::string id;
  if (auto data = envelope.getObject("data")) id = data->optValue<std::string>("orderId", "");
  if (id.empty()) id = envelope.optValue<std::string>("subject", "");
  if (!crm::is_uuid(id)) return std::nullopt;
  return crm::lower_ascii(id);
}

} // namespace

void on_shipment_delivered(crm::Call& call) {
  const auto id = order_of(call);
  if (!id) return;
  const auto order = lock_order(call, *id);
  if (!order || is_final(order->status)) return;
  if (order->status != "SHIPPED")
    throw crm::Error(CRM_E_UNAVAILABLE, "order " + *id + " is not SHIPPED yet; the delivery is applied on redelivery");
  const auto data = call.input().object().getObject("data");
  const std::string tracking = data ? data->optValue<std::string>("trackingNumber", "") : "";
  const std::string carrier = data ? data->optValue<std::string>("carrier", "") : "";
  call.sql("update orders set tracking_number = coalesce(tracking_number, nullif($2, '')), "
           "carrier = coalesce(carrier, nullif($3, '')) where id = $1::uuid",
           {*id, tracking, carrier});
  change_status(call, *id, "DELIVERED", "shipment.delivered");
}

void on_payment_refunded(crm::Call& call) {
  const auto id = order_of(call);
  if (!id) return;
  call.sql("update orders set payment_status = 'REFUNDED', updated_at = now() "
           "where id = $1::uuid and payment_status <> 'REFUNDED'",
           {*id});
}

} // namespace orders
