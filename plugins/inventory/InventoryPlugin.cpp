// InventoryPlugin: the inventory plugin as the host sees it: its operations
// with roles, routes and input schemas, its migrations and the events it
// emits. The handlers live in the *Handler(s).cpp files, one area each.
//
// Events: product.created, product.updated (data: the product),
// product.restocked ({sku, quantity, product}), all with the SKU as subject;
// stock.reserved, stock.released, stock.committed ({reservation, status,
// items}), with the reservation (the order id) as subject.
#include "Handlers.hpp"
#include "Migrations.hpp"

#include <crm/plugin.hpp>

namespace {

// Unknown fields are refused: a misspelt field would otherwise be dropped
// without a word. The price's decimals are checked by the handler.
constexpr const char* kCreateSchema = R"({"type":"object","additionalProperties":false,
  "required":["sku","name","price","currency","stock"],"properties":{
  "sku":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,64}$"},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "price":{"type":["string","number"]},
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"},
  "stock":{"type":"integer","minimum":0,"maximum":1000000000},
  "active":{"type":"boolean"}}})";

// "sku" is the path parameter.
constexpr const char* kUpdateSchema = R"({"type":"object","additionalProperties":false,"required":["sku"],
  "properties":{
  "sku":{"type":"string"},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "price":{"type":["string","number"]},
  "active":{"type":"boolean"}}})";

constexpr const char* kRestockSchema = R"({"type":"object","additionalProperties":false,
  "required":["sku","quantity"],"properties":{
  "sku":{"type":"string"},
  "quantity":{"type":"integer","minimum":1,"maximum":1000000}}})";

// The lines are checked by the handlers (read_lines), which name each bad
// line's field; from a Lua workflow an empty list arrives as {}.
constexpr const char* kReserveSchema = R"({"type":"object","required":["reservation","items"],"properties":{
  "reservation":{"type":"string","format":"uuid"},
  "items":{"type":["array","object"]}}})";

constexpr const char* kReservationSchema = R"({"type":"object","required":["reservation"],"properties":{
  "reservation":{"type":"string","format":"uuid"}}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::read_operation("inventory.products_list", "*", "/api/products", handler<inventory::list_products>,
                        "Products by SKU (?active=&limit=&cursor=); available = stock - reserved"),
    crm::operation("inventory.products_create", "ADMIN", "POST", "/api/products", handler<inventory::create_product>,
                   201, kCreateSchema, "Add a product (409 when the SKU is taken)"),
    crm::read_operation("inventory.products_get", "*", "/api/products/{sku}", handler<inventory::get_product>,
                        "One product"),
    crm::operation("inventory.products_update", "ADMIN", "PATCH", "/api/products/{sku}",
                   handler<inventory::update_product>, 0, kUpdateSchema, "Change a product's name, price or active"),
    crm::operation("inventory.products_restock", "ADMIN", "POST", "/api/products/{sku}/restock",
                   handler<inventory::restock_product>, 0, kRestockSchema, "Add stock to a product"),
    crm::read_operation("inventory.stock_check", "ADMIN", "/api/inventory/balance", handler<inventory::stock_check>,
                        "Every product's books: initial + restocked = stock + committed, reserved = reservations"),
    crm::with_flags(crm::internal_operation("inventory.price", "*", handler<inventory::price_items>), CRM_OP_READ_ONLY),
    crm::internal_operation("inventory.reserve", "system", handler<inventory::reserve>, kReserveSchema),
    crm::internal_operation("inventory.release", "system", handler<inventory::release>, kReservationSchema),
    crm::internal_operation("inventory.commit", "system", handler<inventory::commit>, kReservationSchema),
    crm::with_flags(crm::internal_operation("inventory.demo_products", "system", handler<inventory::load_demo_products>),
                    CRM_OP_ON_START),
};

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"product.created", "product.updated", "product.restocked",
                              "stock.reserved",  "stock.released",  "stock.committed"};

CRM_PLUGIN(crm::plugin("inventory", "1.0.0", "Products, their stock and the reservations orders hold")
               .operations(operations)
               .emits(kEmits)
               .migrations(inventory::kMigrations))
