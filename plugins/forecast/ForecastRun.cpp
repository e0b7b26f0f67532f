// ForecastRun: one run of forecasting. For every symbol to forecast
// (MarketReads) it reads the recent history once, then every LIVE and SHADOW
// version predicts plugin.forecast.horizon_minutes ahead; the forecasts are
// stored in one statement and each is a forecast.generated event. A version
// whose method throws or answers a non-finite number is marked failed for the
// run (lastRunFailed, lastError, failedRuns) and the others go on.
//
// forecast.run_scheduled is the schedule's operation: it ticks every second
// and runs when run_clock says plugin.forecast.interval_seconds have passed.
// POST /api/market/forecasts/run runs at once (ADMIN).
#include "Handlers.hpp"
#include "MarketReads.hpp"
#include "ModelVersions.hpp"
#include "SeriesText.hpp"
#include "Settings.hpp"

#include <optional>
#include <string>
#include <vector>

namespace forecast {

namespace {

// Stores the forecasts (a JSON array of {model_id, symbol, base_price,
// predicted, low, high}) made now and answers each one's event data.
constexpr const char* kStoreForecastsSql = R"sql(
with made as (
  insert into forecasts (model_id, symbol, made_at, horizon_minutes, target_at, base_price, predicted, low, high)
  select r.model_id, r.symbol, now(), $2::int, now() + make_interval(mins => $2::int), r.base_price, r.predicted,
         r.low, r.high
  from jsonb_to_recordset($1::jsonb) as r(model_id uuid, symbol text, base_price float8, predicted float8,
                                          low float8, high float8)
  returning *)
select made.symbol, json_build_object('symbol', made.symbol, 'modelId', made.model_id, 'model', m.name,
         'version', m.version, 'status', m.status, 'madeAt', made.made_at, 'horizonMinutes', made.horizon_minutes,
         'targetAt', made.target_at, 'basePrice', made.base_price, 'predicted', made.predicted, 'low', made.low,
         'high', made.high)::text
from made join models m on m.id = made.model_id)sql";

// Each version's run: {id, failed, error}.
constexpr const char* kMarkRunSql = R"sql(
update models m set last_run_at = now(), last_run_failed = r.failed,
  last_error = case when r.failed then r.error else m.last_error end,
  last_error_at = case when r.failed then now() else m.last_error_at end,
  failed_runs = m.failed_runs + r.failed::int
from jsonb_to_recordset($1::jsonb) as r(id uuid, failed boolean, error text)
where m.id = r.id)sql";

struct VersionRun {
  ModelVersion version;
  std::unique_ptr<Method> method;
  std::optional<std::string> error; // the run's first failure
  std::int64_t made = 0;
};

struct RunReport {
  std::size_t symbols = 0;
  std::size_t forecasts = 0;
  std::size_t skipped_symbols = 0; // no history the market would give
  std::vector<std::string> failed_versions;
};

RunReport run_forecasts(crm::Call& call) {
  RunReport report;
  std::vector<VersionRun> runs;
  for (auto& v : active_versions(call)) {
    VersionRun run{std::move(v), nullptr, std::nullopt, 0};
    try {
      run.method = method_of(call, run.version);
    } catch (const std::exception& e) {
      run.error = e.what();
    }
    runs.push_back(std::move(run));
  }
  if (runs.empty()) return report;

  const std::int64_t now_ms =
      std::stoll(std::string(*call.sql("select (extract(epoch from now()) * 1000)::bigint").at(0, 0)));
  const Settings& s = settings();
  const std::int64_t target_ms = now_ms + s.horizon_minutes * 60000;
  const auto symbols = symbols_to_forecast(call);
  report.symbols = symbols.size();

  std::string rows = "[";
  std::vector<double> prices;
  std::vector<std::int64_t> times;
  for (const auto& symbol : symbols) {
    std::vector<Point> points;
    try {
      points = history(call, symbol, now_ms - s.lookback_minutes * 60000, now_ms + 1,
                       static_cast<std::size_t>(s.max_points));
    } catch (const crm::Error& e) {
      if (e.status() == CRM_E_UNAVAILABLE) throw;
      ++report.skipped_symbols; // e.g. a watched symbol the market does not know
      continue;
    }
    if (points.empty()) continue;
    prices.clear();
    times.clear();
    for (const auto& p : points) {
      prices.push_back(p.price);
      times.push_back(p.at_ms);
    }
    const int steps = horizon_steps(times, target_ms);
    for (auto& run : runs) {
      if (!run.method || prices.size() < run.method->min_points()) continue;
      try {
        const Forecast f = run.method->predict(prices, steps);
        if (rows.size() > 1) rows += ',';
        rows += crm::JsonObject()
                    .field("model_id", run.version.id)
                    .field("symbol", symbol)
                    .raw("base_price", number_json(prices.back()))
                    .raw("predicted", number_json(f.predicted))
                    .raw("low", number_json(f.low))
                    .raw("high", number_json(f.high))
                    .str();
        ++run.made;
      } catch (const std::exception& e) {
        if (!run.error) run.error = symbol + ": " + e.what();
      }
    }
  }
  rows += ']';

  if (rows.size() > 2) {
    auto made = call.sql(kStoreForecastsSql, {rows, s.horizon_minutes});
    for (std::size_t i = 0; i < made.size(); ++i) call.emit("forecast.generated", *made.at(i, 0), *made.at(i, 1));
    report.forecasts = made.size();
  }

  std::string marks = "[";
  for (const auto& run : runs) {
    if (marks.size() > 1) marks += ',';
    crm::JsonObject mark;
    mark.field("id", run.version.id).field("failed", run.error.has_value());
    if (run.error) {
      mark.field("error", *run.error);
      report.failed_versions.push_back(run.version.name + " v" + std::to_string(run.version.version));
      call.log(CRM_LOG_WARN, "forecast version " + run.version.name + " v" + std::to_string(run.version.version) +
                                 " failed this run: " + *run.error);
    }
    marks += mark.str();
  }
  marks += ']';
  call.sql(kMarkRunSql, {marks});
  return report;
}

std::string report_json(const RunReport& r) {
  std::string failed = "[";
  for (const auto& f : r.failed_versions) {
    if (failed.size() > 1) failed += ',';
    crm::append_json_string(failed, f);
  }
  failed += ']';
  return crm::JsonObject()
      .field("symbols", static_cast<std::int64_t>(r.symbols))
      .field("forecasts", static_cast<std::int64_t>(r.forecasts))
      .field("skippedSymbols", static_cast<std::int64_t>(r.skipped_symbols))
      .raw("failedVersions", failed)
      .str();
}

} // namespace

void run_scheduled(crm::Call& call) {
  auto due = call.sql("update run_clock set last_run_at = now() where id = 1 and (last_run_at is null or "
                      "last_run_at <= now() - make_interval(secs => $1::int) + interval '0.5 seconds') returning 1",
                      {settings().interval_seconds});
  if (due.empty()) return;
  run_forecasts(call);
}

void run_now(crm::Call& call) {
  call.sql("update run_clock set last_run_at = now() where id = 1");
  call.reply(report_json(run_forecasts(call)));
}

void latest_forecasts(crm::Call& call) {
  const std::string symbol = call.input().required_text("symbol");
  auto rows = call.sql(R"sql(
select json_build_object('symbol', $1::text, 'items', coalesce(json_agg(json_build_object(
  'modelId', m.id, 'model', m.name, 'version', m.version, 'kind', m.kind, 'status', m.status,
  'madeAt', f.made_at, 'horizonMinutes', f.horizon_minutes, 'targetAt', f.target_at, 'basePrice', f.base_price,
  'predicted', f.predicted, 'low', f.low, 'high', f.high, 'actual', f.actual) order by m.name, m.version), '[]'))::text
from models m
cross join lateral (select * from forecasts f where f.model_id = m.id and f.symbol = $1
                    order by f.made_at desc limit 1) f
where m.status in ('LIVE', 'SHADOW'))sql",
                       {symbol});
  call.reply(*rows.at(0, 0));
}

} // namespace forecast
