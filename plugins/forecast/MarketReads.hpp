// MarketReads: what the plugin asks its peers, through invoke: the symbols to
// forecast (alerts.watched_symbols, or market.instruments when no loaded
// plugin offers the former), a symbol's history (market.history) and its
// price at a time (market.price_at). Interfaces in docs/markets.md.
#pragma once

#include "Accuracy.hpp"

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace forecast {

// Throws crm::Error (503) when neither peer can answer.
std::vector<std::string> symbols_to_forecast(crm::Call& call);

// The points of [from_ms, to_ms), the last max_points of them. Throws the
// market's refusal as a crm::Error carrying its status and field errors (an
// unknown symbol is 404), or 503 when the market plugin is not loaded.
std::vector<Point> history(crm::Call& call, const std::string& symbol, std::int64_t from_ms, std::int64_t to_ms,
                           std::size_t max_points);

// The last price at or before at_iso; nullopt when there is none or the
// market cannot say.
std::optional<double> price_at(crm::Call& call, const std::string& symbol, const std::string& at_iso);

} // namespace forecast
