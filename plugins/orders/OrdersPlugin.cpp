// OrdersPlugin: the orders plugin as the host sees it: its operations with
// roles, routes and input schemas, its subscriptions, the events it emits
// and its schema migrations. The handlers live in the Order*.cpp files.
//
// The REST routes are open to any signed-in user ("*"), except the stats;
// which orders a caller sees is decided per record by the owner of the
// order's customer (crm::OwnerScope). The saga's operations are "system".
#include "Handlers.hpp"
#include "Migrations.hpp"

#include <crm/plugin.hpp>

namespace {

// The body of POST /api/orders. What a schema cannot say (blank texts) the
// handler checks; both answer 422 on the field's path.
constexpr const char* kPlaceOrderSchema = R"({"type":"object","additionalProperties":false,
  "required":["customerId","items","payment","shippingAddress"],"properties":{
  "customerId":{"type":"string","format":"uuid"},
  "items":{"type":"array","minItems":1,"maxItems":100,"items":{"type":"object","additionalProperties":false,
    "required":["sku","quantity"],"properties":{
    "sku":{"type":"string","minLength":1,"maxLength":64,"pattern":"^[A-Za-z0-9._-]+$"},
    "quantity":{"type":"integer","minimum":1,"maximum":1000}}}},
  "payment":{"type":"object","additionalProperties":false,"required":["token"],"properties":{
    "token":{"type":"string","minLength":1,"maxLength":100}}},
  "shippingAddress":{"type":"object","additionalProperties":false,
    "required":["name","line1","city","postalCode","country"],"properties":{
    "name":{"type":"string","minLength":1,"maxLength":200},
    "line1":{"type":"string","minLength":1,"maxLength":200},
    "city":{"type":"string","minLength":1,"maxLength":100},
    "postalCode":{"type":"string","minLength":1,"maxLength":20},
    "country":{"type":"string","pattern":"^[A-Z]{2}$"}}}}})";

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

constexpr const char* kOrderIdSchema = R"({"type":"object","required":["orderId"],"properties":{
  "orderId":{"type":"string","format":"uuid"}}})";

constexpr const char* kAdvanceSchema = R"({"type":"object","required":["orderId","status"],"properties":{
  "orderId":{"type":"string","format":"uuid"},
  "status":{"type":"string","enum":["RESERVED","PAID","SHIPPED"]},
  "event":{"type":"string","minLength":1,"maxLength":100},
  "chargeId":{"type":["string","null"],"maxLength":200},
  "trackingNumber":{"type":["string","null"],"maxLength":100},
  "carrier":{"type":["string","null"],"maxLength":100}}})";

constexpr const char* kFailSchema = R"({"type":"object","required":["orderId","reason"],"properties":{
  "orderId":{"type":"string","format":"uuid"},
  "reason":{"type":"string","enum":["OUT_OF_STOCK","PAYMENT_DECLINED","PAYMENT_UNAVAILABLE","FULFILLMENT_FAILED"]}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","additionalProperties":false,"properties":{}})";

using crm::handler;

// An event's operation: system only, unaudited (the event is the record).
constexpr crm_operation_def on_event(const char* name, crm_handler h) {
  return crm::with_flags(crm::internal_operation(name, "system", h), CRM_OP_NO_AUDIT);
}

const crm_operation_def operations[] = {
    crm::read_operation("orders.list", "*", "/api/orders", handler<orders::list_orders>,
                        "Orders the caller can see, newest first (?status=&customerId=&limit=&cursor=)"),
    crm::operation("orders.create", "*", "POST", "/api/orders", handler<orders::place_order>, 201, kPlaceOrderSchema,
                   "Place an order for a customer the caller can see (Idempotency-Key header optional)"),
    crm::read_operation("orders.stats", "ADMIN,MANAGER", "/api/orders/stats", handler<orders::order_stats>,
                        "Orders by status and revenue per day (MANAGER: its team's)"),
    crm::read_operation("orders.get", "*", "/api/orders/{id}", handler<orders::get_order>,
                        "One order with its payment, shipment and timeline"),
    crm::operation("orders.cancel", "*", "POST", "/api/orders/{id}/cancel", handler<orders::cancel_order>, 202,
                   kIdSchema, "Ask for an order to be cancelled before it ships"),
    crm::with_flags(crm::read_operation("orders.stream", "*", "/api/orders/{id}/stream",
                                        handler<orders::stream_order>,
                                        "The order's state, then each status change as it happens"),
                    CRM_OP_STREAM),
    // The order_fulfillment saga.
    crm::internal_operation("orders.begin", "system", handler<orders::begin_order>, kOrderIdSchema),
    crm::internal_operation("orders.advance", "system", handler<orders::advance_order>, kAdvanceSchema),
    crm::internal_operation("orders.confirm", "system", handler<orders::confirm_order>, kOrderIdSchema),
    crm::internal_operation("orders.fail", "system", handler<orders::fail_order>, kFailSchema),
    // Other plugins' events.
    on_event("orders.on_shipment_delivered", handler<orders::on_shipment_delivered>),
    on_event("orders.on_payment_refunded", handler<orders::on_payment_refunded>),
    // The stats read-model: rebuilt by POST /api/plugins/orders/rebuild.
    crm::with_flags(on_event("orders.project_status_changed", handler<orders::project_status_changed>),
                    CRM_OP_REPLAYABLE),
    crm::with_flags(crm::internal_operation("orders.reset_stats", "system", handler<orders::reset_stats>,
                                            kNoInputSchema),
                    CRM_OP_REPLAY_RESET),
};

const crm_subscription_def subscriptions[] = {
    {"shipment.delivered", "orders.on_shipment_delivered"},
    {"payment.refunded", "orders.on_payment_refunded"},
    {"order.status_changed", "orders.project_status_changed"},
};

} // namespace

// The event types this plugin emits: order.placed starts the saga.
const char* const kEmits[] = {"order.placed", "order.status_changed"};

CRM_PLUGIN(crm::plugin("orders", "1.0.0", "Orders of customers, their timeline and live status")
               .operations(operations)
               .subscriptions(subscriptions)
               .emits(kEmits)
               .migrations(orders::kMigrations))
