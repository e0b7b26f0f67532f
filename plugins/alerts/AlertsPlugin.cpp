// AlertsPlugin: the alerts plugin as the host sees it: watchlists and price
// alert rules per user over REST (each caller sees its own rows only), the
// subscription to market.prices_updated that evaluates the rules, the
// operation other plugins ask for the watched symbols, and its migrations.
// The handlers live in the other .cpp files of this folder.
#include "Handlers.hpp"
#include "Migrations.hpp"

#include <crm/plugin.hpp>

namespace {

// Symbols are spelled as the market plugin's instruments are.
constexpr const char* kWatchSchema = R"({"type":"object","additionalProperties":false,"required":["symbol"],
  "properties":{"symbol":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,32}$"}}})";

constexpr const char* kSymbolSchema = R"({"type":"object","required":["symbol"],"properties":{
  "symbol":{"type":"string","minLength":1,"maxLength":64}}})";

// Types only: what a rule may be (kinds, ranges, windows for MOVE_PCT) is
// AlertRule's, so every refusal of a value reads the same.
constexpr const char* kRuleSchema = R"({"type":"object","additionalProperties":false,
  "required":["symbol","kind","threshold"],"properties":{
  "symbol":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,32}$"},
  "kind":{"type":"string","maxLength":32},
  "threshold":{"type":"number"},
  "windowMinutes":{"type":["integer","null"]}}})";

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","maxLength":64}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","additionalProperties":false,"properties":{}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::read_operation("alerts.watchlist_list", "*", "/api/market/watchlist", handler<alerts::list_watchlist>,
                        "The caller's watched symbols"),
    crm::operation("alerts.watchlist_add", "*", "POST", "/api/market/watchlist", handler<alerts::add_to_watchlist>, 201,
                   kWatchSchema, "Watch a symbol"),
    crm::operation("alerts.watchlist_remove", "*", "DELETE", "/api/market/watchlist/{symbol}",
                   handler<alerts::remove_from_watchlist>, 204, kSymbolSchema, "Stop watching a symbol"),
    crm::read_operation("alerts.list", "*", "/api/market/alerts", handler<alerts::list_rules>,
                        "The caller's alert rules, oldest first (?symbol=&limit=&cursor=)"),
    crm::operation("alerts.create", "*", "POST", "/api/market/alerts", handler<alerts::create_rule>, 201, kRuleSchema,
                   "Make an alert rule: ABOVE, BELOW or MOVE_PCT over windowMinutes"),
    crm::read_operation("alerts.get", "*", "/api/market/alerts/{id}", handler<alerts::get_rule>,
                        "One of the caller's alert rules"),
    crm::operation("alerts.delete", "*", "DELETE", "/api/market/alerts/{id}", handler<alerts::delete_rule>, 204,
                   kIdSchema, "Delete one of the caller's alert rules"),
    // For other plugins (the forecasts): every symbol on any watchlist.
    crm::with_flags(
        crm::internal_operation("alerts.watched_symbols", "system", handler<alerts::watched_symbols>, kNoInputSchema),
        CRM_OP_READ_ONLY),
    // The market's event: unaudited (the event is the record).
    crm::with_flags(crm::internal_operation("alerts.on_prices_updated", "system", handler<alerts::on_prices_updated>),
                    CRM_OP_NO_AUDIT),
};

const crm_subscription_def subscriptions[] = {
    {"market.prices_updated", "alerts.on_prices_updated"},
};

} // namespace

CRM_PLUGIN(crm::plugin("alerts", "1.0.0", "Watchlists and price alert rules, evaluated on each price batch")
               .operations(operations)
               .subscriptions(subscriptions)
               .migrations(alerts::kMigrations))
