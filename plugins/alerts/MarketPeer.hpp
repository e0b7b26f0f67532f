// MarketPeer: what the alerts plugin asks of the market plugin, through its
// operations (never its schema): whether a symbol is an instrument
// (market.instruments), its latest price (market.latest) and the price a
// MOVE_PCT window starts from (market.price_at). Each is invoked as the
// caller. The market saying "not found" is an answer; the market not being
// loaded or not answering is 503, never taken for "unknown symbol".
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace alerts {

struct PricePoint {
  double price = 0;
  std::string at;
};

// The symbol's latest price; nullopt when it has none (or is no instrument).
std::optional<PricePoint> latest_price(crm::Call& call, const std::string& symbol);

// The last price at or before `at` (ISO-8601); nullopt when there is none.
std::optional<PricePoint> price_at(crm::Call& call, const std::string& symbol, const std::string& at);

// The symbol's latest price, if any; throws invalid(field) when the market
// does not list the symbol among its instruments.
std::optional<PricePoint> require_instrument(crm::Call& call, const std::string& symbol, const std::string& field);

} // namespace alerts
