// DemoProducts: the shop's three demo products, loaded at start (an
// on-start operation, run by every host) only when the plugin's configuration
// says plugin.inventory.demo_products=true, as scripts/run does. A product
// that exists already is left as it is, so a restart changes nothing.
#include "Handlers.hpp"

#include <crm/sdk/text_rules.hpp>

#include <string>

namespace inventory {

namespace {

bool demo_products_wanted(const crm::Input& config) {
  if (!config.has("demo_products")) return false;
  const auto value = config.object().get("demo_products");
  const std::string text = crm::lower_ascii(value.toString());
  return text == "true" || text == "1" || text == "yes";
}

} // namespace

void load_demo_products(crm::Call& call) {
  if (!demo_products_wanted(call.input())) {
    call.reply(R"({"loaded":0})");
    return;
  }
  auto rows = call.sql(
      "insert into products (sku, name, price, currency, stock, initial_stock) values "
      "('product-1', 'Premium Widget', 29.99, 'USD', 100, 100), "
      "('product-2', 'Deluxe Gadget', 49.99, 'USD', 50, 50), "
      "('product-3', 'Elite Device', 99.99, 'USD', 25, 25) "
      "on conflict (sku) do nothing returning sku, product_json(products)::text");
  for (size_t r = 0; r < rows.size(); ++r) call.emit("product.created", *rows.at(r, 0), *rows.at(r, 1));
  if (!rows.empty()) call.log(CRM_LOG_INFO, "loaded " + std::to_string(rows.size()) + " demo products");
  call.reply(crm::JsonObject().field("loaded", static_cast<std::int64_t>(rows.size())).str());
}

} // namespace inventory
