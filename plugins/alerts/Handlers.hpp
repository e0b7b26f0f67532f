// Handlers: every operation of the alerts plugin, one function each,
// declared for the operation table in AlertsPlugin.cpp. Each throws
// crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace alerts {

// WatchlistHandlers.cpp: /api/market/watchlist[/{symbol}] and alerts.watched_symbols
void list_watchlist(crm::Call& call);
void add_to_watchlist(crm::Call& call);
void remove_from_watchlist(crm::Call& call);
void watched_symbols(crm::Call& call);

// RuleHandlers.cpp: /api/market/alerts[/{id}]
void list_rules(crm::Call& call);
void get_rule(crm::Call& call);
void create_rule(crm::Call& call);
void delete_rule(crm::Call& call);

// AlertEvaluation.cpp: market.prices_updated
void on_prices_updated(crm::Call& call);

} // namespace alerts
