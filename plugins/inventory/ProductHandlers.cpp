// ProductHandlers: the catalogue over REST. Anyone signed in lists and reads
// products; only an ADMIN creates, changes or restocks them. Stock changes
// only by restock here; reservations move it in ReservationHandlers.cpp.
//
// GET /api/products?active=&limit=&cursor= -> {items, nextCursor}, by SKU.
// GET /api/products/{sku}, POST /api/products (201; 409 on a taken SKU),
// PATCH /api/products/{sku} {name?, price?, active?},
// POST /api/products/{sku}/restock {quantity}.
#include "Handlers.hpp"
#include "ProductInput.hpp"

#include <crm/keyset_page.hpp>
#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/query_schema.hpp>

#include <string>

namespace inventory {

namespace {

const crm::QuerySchema kListQuery = crm::QuerySchema().flag("active").page_limit();

bool sku_key(std::string_view key) { return is_sku(key); }

// The {sku} of the path; the route's schema has checked its shape.
std::string path_sku(crm::Call& call) {
  const std::string sku = call.input().required_text("sku");
  if (!is_sku(sku)) throw crm::not_found("product " + sku);
  return sku;
}

} // namespace

void list_products(crm::Call& call) {
  const auto& in = call.input();
  const crm::Query query = kListQuery.read(in);
  const auto after = crm::cursor_of(in, &sku_key);
  const auto active = query.flag("active");
  // The SKU orders the list and is unique: the cursor's key alone places the
  // next page; its id is carried because the SDK's cursors have one.
  auto rows = call.sql("select product_json(p)::text, p.sku, p.id from products p "
                       "where ($1::boolean is null or p.active = $1::boolean) and ($2::text is null or p.sku > $2) "
                       "order by p.sku limit $3::int",
                       {active ? crm::Param(*active) : crm::Param(nullptr),
                        after ? crm::Param(after->at) : crm::Param(nullptr), query.limit() + 1});
  crm::reply_page(call, rows, query.limit());
}

void get_product(crm::Call& call) {
  const std::string sku = path_sku(call);
  auto rows = call.sql("select product_json(p)::text from products p where p.sku = $1", {sku});
  if (rows.empty()) throw crm::not_found("product " + sku);
  call.reply(*rows.at(0, 0));
}

void create_product(crm::Call& call) {
  const auto& in = call.input();
  const std::string sku = in.required_text("sku");
  const std::string name = crm::required_text(in, "name", 200);
  const auto price = optional_price(in, "price");
  if (!price) throw crm::invalid("price", "is required");
  const std::string currency = in.required_text("currency");
  const std::int64_t stock = crm::required_integer(in, "stock", 0, 1000000000);
  const bool active = in.boolean("active").value_or(true);

  auto rows = call.sql("insert into products (sku, name, price, currency, stock, initial_stock, active) "
                       "values ($1, $2, $3::numeric, $4, $5::int, $5::int, $6::boolean) on conflict (sku) do nothing "
                       "returning product_json(products)::text",
                       {sku, name, *price, currency, stock, active});
  if (rows.empty()) throw crm::conflict("a product with sku " + sku + " exists").field("sku", "is taken");
  const std::string product(*rows.at(0, 0));
  call.emit("product.created", sku, product);
  call.reply(product);
}

void update_product(crm::Call& call) {
  const auto& in = call.input();
  const std::string sku = path_sku(call);
  const auto name = crm::optional_text(in, "name", 200);
  const auto price = optional_price(in, "price");
  const auto active = in.boolean("active");

  auto rows = call.sql("update products set name = coalesce($2, name), price = coalesce($3::numeric, price), "
                       "active = coalesce($4::boolean, active), updated_at = now() where sku = $1 "
                       "returning product_json(products)::text",
                       {sku, name, price, active ? crm::Param(*active) : crm::Param(nullptr)});
  if (rows.empty()) throw crm::not_found("product " + sku);
  const std::string product(*rows.at(0, 0));
  call.emit("product.updated", sku, product);
  call.reply(product);
}

void restock_product(crm::Call& call) {
  const auto& in = call.input();
  const std::string sku = path_sku(call);
  const std::int64_t quantity = crm::required_integer(in, "quantity", 1, kMaxQuantity);

  auto rows = call.sql("update products set stock = stock + $2::int, restocked = restocked + $2::int, "
                       "updated_at = now() where sku = $1 returning product_json(products)::text",
                       {sku, quantity});
  if (rows.empty()) throw crm::not_found("product " + sku);
  const std::string product(*rows.at(0, 0));
  call.emit("product.restocked", sku,
            crm::JsonObject().field("sku", sku).field("quantity", quantity).raw("product", product).str());
  call.reply(product);
}

} // namespace inventory
