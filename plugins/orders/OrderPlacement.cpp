// OrderPlacement: POST /api/orders. An order is placed for a customer the
// caller can see (customer.get, as the caller), and belongs to that
// customer's owner from then on: the record rules follow the owner. Its
// lines are priced by inventory.price (as the caller). The order, its lines,
// timeline entry 1 (PENDING, "order.placed") and the events order.placed
// (which starts the fulfillment saga) and order.status_changed are written
// in one transaction: all or nothing.
//
// Idempotency-Key: per caller, the first placement's reply is kept with the
// request's fingerprint. The same key with the same body answers that reply
// again and writes nothing; with another body, 409.
#include "Handlers.hpp"
#include "OrderPricing.hpp"
#include "OrderRecord.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/json_scan.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/peer_checks.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace orders {

namespace {

constexpr size_t kMaxKeyLength = 200;

// The ordered items; the schema has checked their shape.
std::vector<OrderedItem> ordered_items(const crm::Input& in) {
  std::vector<OrderedItem> items;
  auto list = in.object().getArray("items");
  if (!list || list->size() == 0) throw crm::invalid("items", "must have at least 1 item");
  for (unsigned i = 0; i < list->size(); ++i) {
    auto item = list->getObject(i);
    const std::string path = "items[" + std::to_string(i) + "]";
    if (!item) throw crm::invalid(path, "must be an object");
    OrderedItem o;
    o.sku = item->optValue<std::string>("sku", "");
    if (o.sku.empty()) throw crm::invalid(path + ".sku", "is required");
    if (!item->has("quantity") || !item->get("quantity").isInteger())
      throw crm::invalid(path + ".quantity", "must be an integer");
    o.quantity = item->getValue<std::int64_t>("quantity");
    if (o.quantity < 1 || o.quantity > 1000) throw crm::invalid(path + ".quantity", "must be from 1 to 1000");
    items.push_back(std::move(o));
  }
  return items;
}

// Texts the schema lets through that say nothing ("  "): every one named.
void refuse_blank_texts(const crm::Input& in) {
  crm::Error blank(CRM_E_INVALID, "validation failed");
  if (auto payment = in.object().getObject("payment"))
    if (crm::is_blank(payment->optValue<std::string>("token", ""))) blank.field("payment.token", "must not be blank");
  if (auto address = in.object().getObject("shippingAddress"))
    for (const char* key : {"name", "line1", "city", "postalCode"})
      if (crm::is_blank(address->optValue<std::string>(key, "")))
        blank.field(std::string("shippingAddress.") + key, "must not be blank");
  if (!blank.fields().empty()) throw blank;
}

// The Idempotency-Key header, if the request has one.
std::optional<std::string> idempotency_key(const crm::Call& call) {
  const std::string_view key = call.info("idempotency_key");
  if (key.empty()) return std::nullopt;
  if (key.size() > kMaxKeyLength || crm::is_blank(key))
    throw crm::invalid("Idempotency-Key", "must be 1 to " + std::to_string(kMaxKeyLength) + " characters");
  return std::string(key);
}

// The customer's owner, from customer.get as the caller; 422 when the caller
// cannot see the customer, 503 when the customer plugin cannot answer.
std::string customer_owner(crm::Call& call, const std::string& customer_id) {
  const auto customer = crm::ask_peer(call, "customer.get", customer_id, "customers");
  if (!customer) throw crm::invalid("customerId", "must be an existing customer you can see");
  const auto owner = crm::json_scan::member(*customer, "ownerId");
  const auto id = owner ? crm::json_scan::plain_string(*owner) : std::nullopt;
  if (!id || !crm::is_uuid(*id)) throw crm::Error(CRM_E_UNAVAILABLE, "the customer's owner cannot be read");
  return crm::lower_ascii(*id);
}

// A kept reply for (caller, key): replayed when the request is the same,
// 409 when it is not. Claims the key otherwise (the claim commits with the
// order; a concurrent placement with the key waits for it here).
std::optional<std::string> claim_or_replay(crm::Call& call, const std::string& caller, const std::string& key) {
  auto claimed = call.sql(R"sql(
    insert into placement_keys (caller, key, fingerprint) values ($1, $2, md5($3::jsonb::text))
    on conflict do nothing returning 1)sql",
                          {caller, key, call.input_json()});
  if (!claimed.empty()) return std::nullopt;
  auto kept = call.sql(R"sql(
    select fingerprint = md5($3::jsonb::text), reply from placement_keys where caller = $1 and key = $2)sql",
                       {caller, key, call.input_json()});
  if (kept.empty() || !kept.at(0, 1)) throw crm::Error(CRM_E_UNAVAILABLE, "the first request with this key is unfinished");
  if (*kept.at(0, 0) != "t") throw crm::conflict("Idempotency-Key was used with another request");
  return std::string(*kept.at(0, 1));
}

} // namespace

// POST {customerId, items: [{sku, quantity}], payment: {token},
// shippingAddress: {name, line1, city, postalCode, country}}
// -> 201 {id, status: "PENDING", total, currency}.
void place_order(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  refuse_blank_texts(in);
  const std::string customer = crm::required_uuid(in, "customerId");
  const std::vector<OrderedItem> items = ordered_items(in);
  const auto payment = in.object().getObject("payment");
  const auto address = in.object().getObject("shippingAddress");
  if (!payment) throw crm::invalid("payment", "is required");
  if (!address) throw crm::invalid("shippingAddress", "is required");
  const std::string token = payment->getValue<std::string>("token");
  const auto key = idempotency_key(call);
  const std::string placed_by = scope.user_id();
  if (placed_by.empty()) throw crm::forbidden("orders are placed by users");

  // The peers first, before this call's own transaction opens.
  const std::string owner = customer_owner(call, customer);
  const PricedItems priced = price_items(call, items);

  if (key)
    if (auto kept = claim_or_replay(call, placed_by, *key)) {
      call.reply(*kept);
      return;
    }

  std::ostringstream address_json;
  address->stringify(address_json);
  auto rows = call.sql(R"sql(
    insert into orders (customer_id, owner_id, placed_by, total, currency, payment_token, shipping_address)
    values ($1::uuid, $2::uuid, $3::uuid, 0, $4, $5, $6::jsonb) returning id)sql",
                       {customer, owner, placed_by, priced.currency, token, address_json.str()});
  const std::string id(*rows.at(0, 0));
  for (size_t i = 0; i < priced.lines.size(); ++i) {
    const auto& line = priced.lines[i];
    call.sql(R"sql(
      insert into order_lines (order_id, line, sku, name, quantity, price, line_total)
      values ($1::uuid, $2::int, $3, $4, $5::int, $6::numeric, $6::numeric * $5::int))sql",
             {id, static_cast<std::int64_t>(i + 1), line.sku, line.name, line.quantity, line.price});
  }
  auto placed = call.sql(R"sql(
    with totals as (select sum(line_total) as total from order_lines where order_id = $1::uuid)
    update orders o set total = totals.total from totals where o.id = $1::uuid
    returning json_build_object(
      'orderId', o.id, 'customerId', o.customer_id, 'ownerId', o.owner_id, 'placedBy', o.placed_by,
      'items', (select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity,
                                                  'price', l.price::text, 'lineTotal', l.line_total::text) order by l.line)
                from order_lines l where l.order_id = o.id),
      'total', o.total::text, 'currency', o.currency)::text,
      json_build_object('id', o.id, 'status', 'PENDING', 'total', o.total::text, 'currency', o.currency)::text)sql",
                         {id});
  const std::string event(*placed.at(0, 0));
  const std::string reply(*placed.at(0, 1));
  call.emit("order.placed", id, event);
  change_status(call, id, "PENDING", "order.placed");
  if (key)
    call.sql("update placement_keys set order_id = $3::uuid, reply = $4 where caller = $1 and key = $2",
             {placed_by, *key, id, reply});
  call.reply(reply);
}

} // namespace orders
