// OrderPricing: an order's lines priced by the inventory plugin
// (inventory.price, invoked as the caller). Its refusals are the caller's
// mistakes on the same field paths (items[i].sku: no such product, not for
// sale; items: mixed currencies); an inventory that cannot answer, or is
// not loaded at all, is a 503, as peer_checks.hpp answers for a missing peer.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace orders {

struct PricedLine {
  std::string sku;
  std::string name;
  std::int64_t quantity = 0;
  std::string price; // "29.99"
};

struct PricedItems {
  std::vector<PricedLine> lines;
  std::string currency;
};

struct OrderedItem {
  std::string sku;
  std::int64_t quantity = 0;
};

// The body inventory.price takes: {"items": [{sku, quantity}, ...]}.
std::string price_request(const std::vector<OrderedItem>& items);

// Reads inventory.price's answer (status and reply or problem) for `items`;
// throws the error this order's caller gets. Pure: no call, so unit tests
// feed it what a peer may answer.
PricedItems priced_from_answer(const std::vector<OrderedItem>& items, crm_status status, const std::string& body);

// Asks inventory.price.
PricedItems price_items(crm::Call& call, const std::vector<OrderedItem>& items);

} // namespace orders
