// ForecastCommands: `market backtest` over /api/market/models: replays a
// symbol's history through a model version on the server (POST
// /api/market/models/{id}/backtest, ADMIN) and prints its accuracy; nothing
// is stored. --model names the version by name: its LIVE version, else its
// highest version number; --version picks another.
#include "Commands.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <memory>

namespace crmctl {

namespace {

struct BacktestOptions {
  std::string model, symbol, from, to;
  int version = 0; // 0: the LIVE one, else the latest
  int horizon = 0; // minutes; 0: the server's default
};

std::vector<Column> accuracy_fields() {
  return {text_column("MODEL", "model"),
          text_column("VERSION", "version"),
          text_column("SYMBOL", "symbol"),
          text_column("FROM", "from"),
          text_column("TO", "to"),
          text_column("HORIZON (MIN)", "horizonMinutes"),
          text_column("POINTS", "points"),
          text_column("N", "n"),
          text_column("MAE", "mae"),
          text_column("MAPE (%)", "mape"),
          text_column("DIRECTION HITS", "directionHitRate"),
          text_column("FAILURES", "failures")};
}

// The id of the version of `name` to replay.
std::string version_id(Context& ctx, const BacktestOptions& o) {
  const json::Value page = ctx.api().get_object("/api/market/models");
  const json::Value* chosen = nullptr;
  long best = -1;
  for (const auto& m : page.get("items").items()) {
    if (json::text(m, "name") != o.model) continue;
    const long v = std::stol(json::text(m, "version"));
    if (o.version > 0) {
      if (v == o.version) chosen = &m;
      continue;
    }
    // The LIVE version wins; otherwise the highest number.
    const long rank = (json::text(m, "status") == "LIVE" ? 1000000000L : 0L) + v;
    if (rank > best) best = rank, chosen = &m;
  }
  if (!chosen)
    throw UsageError("no model version " + o.model + (o.version > 0 ? " v" + std::to_string(o.version) : "") +
                     " (crmctl lists them with GET /api/market/models)");
  return json::text(*chosen, "id");
}

void backtest(Context& ctx, const BacktestOptions& o) {
  json::Value body = json::Value::object();
  body.set("symbol", o.symbol);
  body.set("from", o.from);
  body.set("to", o.to);
  if (o.horizon > 0) body.set("horizonMinutes", o.horizon);
  const json::Value result =
      ctx.api().send_json("POST", "/api/market/models/" + version_id(ctx, o) + "/backtest", body);
  if (ctx.out().format() == Format::Json)
    ctx.out().json(result);
  else
    ctx.out().record(result, accuracy_fields());
}

CLI::App* market_command(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "market"; })) return sub;
  return command(app, "market", "Instruments, prices and forecasts", "crmctl market backtest --help");
}

} // namespace

void add_forecast_commands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<BacktestOptions>();
  CLI::App* b = command(*market_command(app), "backtest",
                        "Replay a symbol's history through a model version and print its accuracy (ADMIN)",
                        "crmctl market backtest --model smooth --symbol ACME --from 2026-01-01T00:00:00Z "
                        "--to 2026-02-01T00:00:00Z\n"
                        "crmctl market backtest --model smooth --version 2 --symbol ACME --from 2026-01-01T00:00:00Z "
                        "--to 2026-01-08T00:00:00Z --horizon 30 -o json");
  b->add_option("--model", o->model, "The model's name")->required();
  b->add_option("--version", o->version, "Its version number (default: the LIVE one, else the latest)")
      ->check(CLI::PositiveNumber);
  b->add_option("--symbol", o->symbol, "The instrument's symbol")->required();
  b->add_option("--from", o->from, "RFC 3339 start, e.g. 2026-01-01T00:00:00Z")->required();
  b->add_option("--to", o->to, "RFC 3339 end (exclusive)")->required();
  b->add_option("--horizon", o->horizon, "Minutes ahead (default: the server's plugin.forecast.horizon_minutes)")
      ->check(CLI::Range(1, 10080));
  b->callback([&ctx, o] { backtest(ctx, *o); });
}

} // namespace crmctl
