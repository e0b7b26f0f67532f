// MarketPlugin: the market plugin as the host sees it: its operations with
// roles, routes and input schemas, its migrations, settings and the events
// it emits. The handlers live in InstrumentHandlers.cpp, PriceIngest.cpp and
// PriceQueries.cpp.
//
// Events, each with the symbol as subject: market.prices_updated, one per
// symbol with new points in an accepted batch, {symbol, price, at, volume,
// previousPrice, count, low, high} (the symbol's last new point by time;
// previousPrice the symbol's latest price before the batch, null when none;
// low and high the lowest and highest of its new points);
// market.price_flagged {symbol, at, price, previousPrice, changePct}.
//
// Settings: plugin.market.flag_jump_pct (20), plugin.market.
// future_tolerance_seconds (60).
#include "Handlers.hpp"
#include "MarketSettings.hpp"
#include "Migrations.hpp"
#include "PriceBatch.hpp"

#include <crm/plugin.hpp>

#include <string>

namespace {

constexpr const char* kInstrumentSchema = R"({"type":"object","additionalProperties":false,
  "required":["symbol","name","exchange","currency"],"properties":{
  "symbol":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,32}$"},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "exchange":{"type":"string","minLength":1,"maxLength":64},
  "currency":{"type":"string","pattern":"^[A-Z]{3}$"}}})";

// The items are checked by the handler (PriceBatch), which names every bad
// item's field at once.
constexpr const char* kPricesSchema = R"({"type":"object","additionalProperties":false,"required":["prices"],
  "properties":{"prices":{"type":"array","minItems":1,"maxItems":10000}}})";

constexpr const char* kSymbolSchema = R"({"type":"object","required":["symbol"],"properties":{
  "symbol":{"type":"string"}}})";

constexpr const char* kHistorySchema = R"({"type":"object","required":["symbol","from","to"],"properties":{
  "symbol":{"type":"string"},"from":{"type":"string"},"to":{"type":"string"},
  "limit":{"type":["integer","string"]}}})";

constexpr const char* kPriceAtSchema = R"({"type":"object","required":["symbol","at"],"properties":{
  "symbol":{"type":"string"},"at":{"type":"string"}}})";

using crm::handler;

// A read other plugins call (read-only, any caller: the host's own calls included).
constexpr crm_operation_def peer_read(const char* name, crm_handler h, const char* schema = nullptr) {
  return crm::with_flags(crm::internal_operation(name, "*", h, schema), CRM_OP_READ_ONLY);
}

const crm_operation_def operations[] = {
    crm::read_operation("market.instruments_list", "*", "/api/market/instruments", handler<market::list_instruments>,
                        "Instruments by symbol (?q=&limit=)"),
    crm::operation("market.instruments_create", "ADMIN", "POST", "/api/market/instruments",
                   handler<market::create_instrument>, 201, kInstrumentSchema,
                   "Add an instrument (409 when the symbol is taken)"),
    crm::read_operation("market.instruments_latest", "*", "/api/market/instruments/{symbol}/latest",
                        handler<market::latest_price>, "An instrument's latest price"),
    crm::read_operation("market.instruments_bars", "*", "/api/market/instruments/{symbol}/bars", handler<market::bars>,
                        "OHLCV bars (?from=&to=&interval=1m|5m|1h|1d)"),
    crm::operation("market.prices_ingest", "ADMIN", "POST", "/api/market/prices", handler<market::ingest_prices>, 202,
                   kPricesSchema, "Store up to 10,000 prices, all or nothing"),
    peer_read("market.instruments", handler<market::all_instruments>),
    peer_read("market.latest", handler<market::latest_of>, kSymbolSchema),
    peer_read("market.history", handler<market::history>, kHistorySchema),
    peer_read("market.price_at", handler<market::price_at>, kPriceAtSchema),
};

crm_status init(const char* config_json, void** state) {
  *state = nullptr;
  try {
    market::use_settings(market::parse_settings(config_json ? config_json : ""));
  } catch (const std::exception& e) {
    crm::detail::host->log(nullptr, CRM_LOG_ERROR, (std::string("bad configuration: ") + e.what()).c_str());
    return CRM_E_INVALID;
  }
  return CRM_OK;
}

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"market.prices_updated", "market.price_flagged"};

CRM_PLUGIN(crm::plugin("market", "1.0.0", "Instruments, their prices as time series, bars and latest prices")
               .operations(operations)
               .emits(kEmits)
               .migrations(market::kMigrations)
               .on_init(init))
