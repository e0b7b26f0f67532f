// ShippingPlugin: the shipping plugin as the host sees it: its operations
// (the order saga's create and cancel, the ADMIN's delivery), the events it
// emits, its migrations and its start-up (the carrier from
// plugin.shipping.carrier).
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "ShippingSettings.hpp"

#include <crm/plugin.hpp>

#include <stdexcept>
#include <string>

namespace {

constexpr const char* kCreateSchema = R"({"type":"object","required":["orderId","address"],"properties":{
  "orderId":{"type":"string","format":"uuid"},
  "address":{"type":"object","required":["name","line1","city","postalCode","country"],"properties":{
    "name":{"type":"string","minLength":1,"maxLength":200},
    "line1":{"type":"string","minLength":1,"maxLength":200},
    "city":{"type":"string","minLength":1,"maxLength":100},
    "postalCode":{"type":"string","minLength":1,"maxLength":20},
    "country":{"type":"string","minLength":2,"maxLength":2}}}}})";

constexpr const char* kOrderIdSchema = R"({"type":"object","required":["orderId"],"properties":{
  "orderId":{"type":"string","format":"uuid"}}})";

constexpr const char* kDeliveredSchema = R"({"type":"object","additionalProperties":false,
  "required":["trackingNumber"],"properties":{
  "trackingNumber":{"type":"string","minLength":1,"maxLength":64}}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::internal_operation("shipping.create", "system", handler<shipping::create_shipment>, kCreateSchema),
    crm::internal_operation("shipping.cancel", "system", handler<shipping::cancel_shipment>, kOrderIdSchema),
    crm::operation("shipping.delivered", "ADMIN", "POST", "/api/shipments/{trackingNumber}/delivered",
                   handler<shipping::deliver_shipment>, 0, kDeliveredSchema, "Record that a shipment was delivered"),
    crm::with_flags(crm::internal_operation("shipping.get", "system", handler<shipping::get_shipment>, kOrderIdSchema),
                    CRM_OP_READ_ONLY),
};

crm_status init(const char* config_json, void** state) {
  const crm_host_api* host = crm::detail::host;
  try {
    shipping::use_settings(shipping::parse_settings(config_json ? config_json : ""));
  } catch (const std::exception& e) {
    host->log(nullptr, CRM_LOG_ERROR, e.what());
    return CRM_E_INVALID;
  }
  host->log(nullptr, CRM_LOG_INFO, ("carrier: " + shipping::settings().carrier).c_str());
  *state = nullptr;
  return CRM_OK;
}

} // namespace

// The event types this plugin emits.
const char* const kEmits[] = {"shipment.created", "shipment.cancelled", "shipment.delivered"};

CRM_PLUGIN(crm::plugin("shipping", "1.0.0", "Shipments of orders with tracking numbers")
               .operations(operations)
               .emits(kEmits)
               .migrations(shipping::kMigrations)
               .on_init(init))
