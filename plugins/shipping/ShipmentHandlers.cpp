// ShipmentHandlers: one shipment per order, idempotent by the order's id.
//
//   shipping.create {orderId, address} (system) -> the shipment, CREATED,
//     with a new tracking number and the configured carrier; again for the
//     same order: the same shipment (a CANCELLED one is a CONFLICT: the
//     order's saga undid it). Emits shipment.created once.
//   shipping.cancel {orderId} (system) -> {orderId, status: CANCELLED|NONE};
//     NONE when there was no shipment. A DELIVERED one is a CONFLICT.
//     Emits shipment.cancelled once.
//   shipping.delivered POST /api/shipments/{trackingNumber}/delivered
//     (ADMIN) -> the shipment, DELIVERED; emits shipment.delivered
//     {orderId, trackingNumber, carrier} once; 409 when cancelled.
//   shipping.get {orderId} (system) -> the shipment, or NOT_FOUND.
#include "Handlers.hpp"
#include "ShippingSettings.hpp"

#include <crm/sdk/input_rules.hpp>

#include <Poco/JSON/Object.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

namespace shipping {

namespace {

// The event data of a shipment: {orderId, trackingNumber, carrier, status}.
constexpr const char* kEventJson =
    "json_build_object('orderId', s.order_id, 'trackingNumber', s.tracking_number, 'carrier', s.carrier, "
    "'status', s.status)::text";

} // namespace

void create_shipment(crm::Call& call) {
  const auto& in = call.input();
  const std::string order = crm::required_uuid(in, "orderId");
  const auto address = in.object().getObject("address");
  if (!address) throw crm::invalid("address", "is required");
  for (const char* key : {"name", "line1", "city", "postalCode", "country"})
    if (crm::is_blank(address->optValue<std::string>(key, "")))
      throw crm::invalid(std::string("address.") + key, "is required");
  std::ostringstream address_json;
  address->stringify(address_json);
  // The carrier's booking, before any SQL: a slow carrier holds no
  // transaction or connection while it books.
  if (settings().booking_delay_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(settings().booking_delay_ms));

  auto created = call.sql(std::string(R"sql(
    insert into shipments as s (order_id, tracking_number, carrier, address)
    values ($1::uuid, new_tracking_number(), $2, $3::jsonb)
    on conflict (order_id) do nothing
    returning shipment_json(s)::text, )sql") + kEventJson,
                          {order, settings().carrier, address_json.str()});
  if (!created.empty()) {
    const std::string shipment(*created.at(0, 0));
    call.emit("shipment.created", order, std::string(*created.at(0, 1)));
    call.reply(shipment);
    return;
  }
  auto kept = call.sql("select shipment_json(s)::text, s.status from shipments s where s.order_id = $1::uuid", {order});
  if (*kept.at(0, 1) == "CANCELLED") throw crm::conflict("the shipment of this order was cancelled");
  call.reply(*kept.at(0, 0));
}

void cancel_shipment(crm::Call& call) {
  const std::string order = crm::required_uuid(call.input(), "orderId");
  auto rows = call.sql("select status from shipments where order_id = $1::uuid for update", {order});
  const std::string none = crm::JsonObject().field("orderId", order).field("status", "NONE").str();
  if (rows.empty()) {
    call.reply(none);
    return;
  }
  const std::string status(*rows.at(0, 0));
  if (status == "DELIVERED") throw crm::conflict("the shipment was delivered");
  if (status == "CREATED") {
    auto changed = call.sql(std::string("update shipments s set status = 'CANCELLED', cancelled_at = now() "
                                        "where s.order_id = $1::uuid returning ") +
                                kEventJson,
                            {order});
    call.emit("shipment.cancelled", order, std::string(*changed.at(0, 0)));
  }
  call.reply(crm::JsonObject().field("orderId", order).field("status", "CANCELLED").str());
}

void deliver_shipment(crm::Call& call) {
  const std::string tracking = crm::required_text(call.input(), "trackingNumber", 64);
  auto rows = call.sql("select order_id, status from shipments where tracking_number = $1 for update", {tracking});
  if (rows.empty()) throw crm::not_found("shipment");
  const std::string order(*rows.at(0, 0));
  const std::string status(*rows.at(0, 1));
  if (status == "CANCELLED") throw crm::conflict("the shipment was cancelled");
  if (status == "CREATED") {
    auto changed = call.sql(std::string("update shipments s set status = 'DELIVERED', delivered_at = now() "
                                        "where s.order_id = $1::uuid returning ") +
                                kEventJson,
                            {order});
    call.emit("shipment.delivered", order, std::string(*changed.at(0, 0)));
  }
  auto shipment = call.sql("select shipment_json(s)::text from shipments s where s.order_id = $1::uuid", {order});
  call.reply(*shipment.at(0, 0));
}

void get_shipment(crm::Call& call) {
  const std::string order = crm::required_uuid(call.input(), "orderId");
  auto rows = call.sql("select shipment_json(s)::text from shipments s where s.order_id = $1::uuid", {order});
  if (rows.empty()) throw crm::not_found("shipment");
  call.reply(*rows.at(0, 0));
}

} // namespace shipping
