// Handlers: every operation of the market plugin, one function each,
// declared for the operation table in MarketPlugin.cpp. Each throws
// crm::Error to fail; the call's transaction makes a failure change nothing.
#pragma once

#include <crm/plugin.hpp>

namespace market {

// InstrumentHandlers.cpp: the catalogue and the latest price.
void list_instruments(crm::Call& call);  // GET /api/market/instruments?q=
void create_instrument(crm::Call& call); // POST /api/market/instruments (ADMIN)
void latest_price(crm::Call& call);      // GET /api/market/instruments/{symbol}/latest
void all_instruments(crm::Call& call);   // market.instruments
void latest_of(crm::Call& call);         // market.latest

// PriceIngest.cpp: POST /api/market/prices (ADMIN).
void ingest_prices(crm::Call& call);

// PriceQueries.cpp: reads of the series.
void bars(crm::Call& call);     // GET /api/market/instruments/{symbol}/bars
void history(crm::Call& call);  // market.history
void price_at(crm::Call& call); // market.price_at

} // namespace market
