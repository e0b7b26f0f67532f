// PriceHandler: inventory.price, called by the orders plugin as its caller
// to price an order before it is placed. Prices are summed in SQL's numeric,
// never in binary floating point.
//
// {items: [{sku, quantity}]} -> {items: [{sku, name, quantity, price,
// lineTotal}], total, currency}; 422 on items[i].sku for an unknown or
// inactive product, on items when the products' currencies differ.
#include "Handlers.hpp"
#include "ProductInput.hpp"

#include <optional>
#include <string>

namespace inventory {

void price_items(crm::Call& call) {
  const auto lines = read_lines(call.input());
  std::string input = "[";
  for (const auto& l : lines) {
    if (input.size() > 1) input.push_back(',');
    input += crm::JsonObject().field("i", static_cast<std::int64_t>(l.index)).field("sku", l.sku)
                 .field("quantity", l.quantity).str();
  }
  input += "]";

  auto rows = call.sql(
      "select l.i, l.sku, p.sku is not null as known, coalesce(p.active, false) as active, p.currency, "
      "jsonb_build_object('sku', l.sku, 'name', p.name, 'quantity', l.quantity, 'price', p.price::text, "
      "'lineTotal', (p.price * l.quantity)::numeric(20,2)::text)::text as line, "
      "(sum(p.price * l.quantity) over ())::numeric(20,2)::text as total "
      "from jsonb_to_recordset($1::jsonb) as l(i int, sku text, quantity int) "
      "left join products p on p.sku = l.sku order by l.i",
      {input});

  std::optional<crm::Error> failed;
  auto fail = [&](const std::string& field, const std::string& message) {
    if (!failed) failed.emplace(CRM_E_INVALID, "validation failed");
    failed->field(field, message);
  };
  std::optional<std::string> currency;
  bool mixed = false;
  std::string items = "[";
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string field = "items[" + std::string(*rows.at(r, 0)) + "].sku";
    if (*rows.at(r, 2) != "t") {
      fail(field, "is not a product");
      continue;
    }
    if (*rows.at(r, 3) != "t") {
      fail(field, "is not for sale");
      continue;
    }
    const std::string line_currency(*rows.at(r, 4));
    if (!currency) currency = line_currency;
    else if (*currency != line_currency) mixed = true;
    if (items.size() > 1) items.push_back(',');
    items += *rows.at(r, 5);
  }
  if (mixed) fail("items", "must all be priced in one currency");
  if (failed) throw *failed;
  items += "]";
  call.reply(crm::JsonObject()
                 .raw("items", items)
                 .field("total", std::string(*rows.at(0, 6)))
                 .field("currency", *currency)
                 .str());
}

} // namespace inventory
