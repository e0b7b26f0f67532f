// ForecastPlugin: the forecast plugin as the host sees it: its operations with
// roles, routes and input schemas, the schedule that makes forecasts, the
// subscription that scores them, its migrations and settings.
//
// Model versions (ModelHandlers.cpp) are a name, a version number, a kind
// (holt, ridge, or op:<plugin>.forecast_<name> for a model another plugin
// brings: ModelKinds.hpp) with its params, and a status: LIVE and SHADOW
// versions forecast, RETIRED ones do not. Forecasts (ForecastRun.cpp) are made
// for every watched symbol and emitted as forecast.generated {symbol, modelId,
// model, version, status, madeAt, horizonMinutes, targetAt, basePrice,
// predicted, low, high}; ActualPrices.cpp settles them as prices arrive.
//
// Settings: plugin.forecast.interval_seconds (60), horizon_minutes (60),
// lookback_minutes (480), max_points (500).
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <stdexcept>
#include <string>

namespace {

constexpr const char* kCreateModelSchema = R"({"type":"object","additionalProperties":false,
  "required":["name","kind"],"properties":{
  "name":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,100}$"},
  "kind":{"type":"string","minLength":1,"maxLength":200},
  "params":{"type":"object"},
  "status":{"type":"string","enum":["LIVE","SHADOW","RETIRED"]}}})";

// "id" is the path parameter.
constexpr const char* kPatchModelSchema = R"({"type":"object","additionalProperties":false,
  "required":["id","status"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "status":{"type":"string","enum":["LIVE","SHADOW","RETIRED"]}}})";

constexpr const char* kBacktestSchema = R"({"type":"object","additionalProperties":false,
  "required":["id","symbol","from","to"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "symbol":{"type":"string","pattern":"^[A-Za-z0-9._-]{1,32}$"},
  "from":{"type":"string","format":"date-time"},
  "to":{"type":"string","format":"date-time"},
  "horizonMinutes":{"type":"integer","minimum":1,"maximum":10080}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","additionalProperties":false,"properties":{}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::read_operation("forecast.models_list", "*", "/api/market/models", handler<forecast::list_models>,
                        "Model versions with their status and accuracy"),
    crm::operation("forecast.models_create", "ADMIN", "POST", "/api/market/models", handler<forecast::create_model>,
                   201, kCreateModelSchema, "Add a model version {name, kind, params, status}"),
    crm::operation("forecast.models_patch", "ADMIN", "PATCH", "/api/market/models/{id}", handler<forecast::patch_model>,
                   0, kPatchModelSchema, "Promote a version to LIVE, put it in SHADOW or retire it"),
    crm::with_flags(crm::operation("forecast.models_backtest", "ADMIN", "POST", "/api/market/models/{id}/backtest",
                                   handler<forecast::backtest_model>, 0, kBacktestSchema,
                                   "Replay a symbol's history through a version; stores nothing"),
                    CRM_OP_READ_ONLY),
    crm::read_operation("forecast.forecasts_latest", "*", "/api/market/forecasts/{symbol}",
                        handler<forecast::latest_forecasts>, "The latest forecast of each LIVE or SHADOW version"),
    crm::operation("forecast.forecasts_run", "ADMIN", "POST", "/api/market/forecasts/run", handler<forecast::run_now>,
                   0, kNoInputSchema, "Forecast every watched symbol now (the schedule does it every interval)"),
    // The schedule's tick: a run when plugin.forecast.interval_seconds have
    // passed. Not audited (a row a second); its events are its record.
    crm::with_flags(
        crm::internal_operation("forecast.run_scheduled", "system", handler<forecast::run_scheduled>, kNoInputSchema),
        CRM_OP_NO_AUDIT),
    crm::internal_operation("forecast.on_prices_updated", "system", handler<forecast::on_prices_updated>),
};

const crm_subscription_def subscriptions[] = {
    {.event_type = "market.prices_updated", .operation = "forecast.on_prices_updated"},
};

const crm_schedule_def schedules[] = {
    {"1s", "forecast.run_scheduled"},
};

crm_status init(const char* config_json, void** state) {
  const crm_host_api* host = crm::detail::host;
  try {
    forecast::use_settings(forecast::parse_settings(config_json ? config_json : ""));
  } catch (const std::exception& e) {
    host->log(nullptr, CRM_LOG_ERROR, e.what());
    return CRM_E_INVALID;
  }
  const auto& s = forecast::settings();
  host->log(nullptr, CRM_LOG_INFO,
            ("forecasts every " + std::to_string(s.interval_seconds) + " s, " + std::to_string(s.horizon_minutes) +
             " min ahead, from the last " + std::to_string(s.lookback_minutes) + " min")
                .c_str());
  *state = nullptr;
  return CRM_OK;
}

} // namespace

// The event types this plugin emits.
const char* const kEmits[] = {"forecast.generated"};

CRM_PLUGIN(crm::plugin("forecast", "1.0.0", "Forecasts of market prices by versioned models, with their accuracy")
               .operations(operations)
               .subscriptions(subscriptions)
               .emits(kEmits)
               .schedules(schedules)
               .migrations(forecast::kMigrations)
               .on_init(init))
