// Handlers: the forecast plugin's operations (routes in ForecastPlugin.cpp).
#pragma once

#include <crm/plugin.hpp>

namespace forecast {

// ModelHandlers.cpp
void list_models(crm::Call& call);    // GET /api/market/models
void create_model(crm::Call& call);   // POST /api/market/models (ADMIN)
void patch_model(crm::Call& call);    // PATCH /api/market/models/{id} (ADMIN)
void backtest_model(crm::Call& call); // POST /api/market/models/{id}/backtest (ADMIN)

// ForecastRun.cpp
void run_scheduled(crm::Call& call);    // the schedule's operation
void run_now(crm::Call& call);          // POST /api/market/forecasts/run (ADMIN)
void latest_forecasts(crm::Call& call); // GET /api/market/forecasts/{symbol}

// ActualPrices.cpp
void on_prices_updated(crm::Call& call); // market.prices_updated

} // namespace forecast
