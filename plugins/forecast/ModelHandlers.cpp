// ModelHandlers: model versions through the API. Anyone signed in lists them
// with their accuracy; an ADMIN creates a version (its number the next for
// its name), changes its status (LIVE, SHADOW, RETIRED) and backtests it on a
// symbol's history without storing anything.
#include "Accuracy.hpp"
#include "Handlers.hpp"
#include "MarketReads.hpp"
#include "ModelKinds.hpp"
#include "ModelVersions.hpp"
#include "SeriesText.hpp"
#include "Settings.hpp"

#include <Poco/JSON/Stringifier.h>

#include <sstream>
#include <string>

namespace forecast {

namespace {

// A backtest reads at most this many points, and scores at most this many
// origins (an operation kind calls its plugin once per origin: fewer).
constexpr std::size_t kBacktestMaxPoints = 100000;
constexpr std::size_t kBacktestOrigins = 1000;
constexpr std::size_t kBacktestOperationOrigins = 100;

std::string model_json(crm::Call& call, const std::string& id) {
  auto rows = call.sql("select model_json(m, a)::text from models m join accuracy a on a.model_id = m.id "
                       "where m.id = $1::uuid",
                       {id});
  if (rows.empty()) throw crm::not_found("model version " + id);
  return std::string(*rows.at(0, 0));
}

std::string optional_number(const std::optional<double>& v) { return v ? number_json(*v) : "null"; }

} // namespace

void list_models(crm::Call& call) {
  auto rows = call.sql("select coalesce(jsonb_agg(model_json(m, a) order by m.name, m.version), '[]')::text "
                       "from models m join accuracy a on a.model_id = m.id");
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

void create_model(crm::Call& call) {
  const auto& in = call.input();
  const std::string name = in.required_text("name");
  const std::string kind = in.required_text("kind");
  const std::string status = in.text("status").value_or("SHADOW");
  const Poco::JSON::Object::Ptr params = in.object().getObject("params");
  const auto errors = check_model(kind, params);
  if (!errors.empty()) {
    crm::Error refused(CRM_E_INVALID, "validation failed");
    for (const auto& e : errors) refused.field(e.field, e.message);
    throw refused;
  }
  std::string params_json = "{}";
  if (params) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(params, out);
    params_json = out.str();
  }
  // Versions of one name are numbered one after another, even when created together.
  call.sql("select pg_advisory_xact_lock(hashtext('forecast.models:' || $1))", {name});
  auto created = call.sql("insert into models (name, version, kind, params, status) "
                          "select $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4 from models where name = $1 "
                          "returning id",
                          {name, kind, params_json, status});
  const std::string id(*created.at(0, 0));
  call.sql("insert into accuracy (model_id) values ($1::uuid)", {id});
  call.reply(model_json(call, id));
}

void patch_model(crm::Call& call) {
  const auto& in = call.input();
  const std::string id = in.required_text("id");
  auto changed = call.sql("update models set status = $2, updated_at = now() where id = $1::uuid returning id",
                          {id, in.required_text("status")});
  if (changed.empty()) throw crm::not_found("model version " + id);
  call.reply(model_json(call, id));
}

void backtest_model(crm::Call& call) {
  const auto& in = call.input();
  const auto version = version_by_id(call, in.required_text("id"));
  if (!version) throw crm::not_found("model version " + in.required_text("id"));
  const std::string symbol = in.required_text("symbol");
  const auto from = utc_ms(in.required_text("from"));
  const auto to = utc_ms(in.required_text("to"));
  if (!from) throw crm::invalid("from", "must be an RFC 3339 time");
  if (!to) throw crm::invalid("to", "must be an RFC 3339 time");
  if (*to <= *from) throw crm::invalid("to", "must be after from");
  const std::int64_t horizon_minutes = in.integer("horizonMinutes").value_or(settings().horizon_minutes);

  std::unique_ptr<Method> method;
  try {
    method = method_of(call, *version);
  } catch (const MethodError& e) {
    throw crm::Error(CRM_E_CONFLICT, std::string("the version cannot forecast: ") + e.what());
  }
  const auto points = history(call, symbol, *from, *to, kBacktestMaxPoints);
  const bool by_operation = !operation_of_kind(version->kind).empty();
  const BacktestResult r =
      backtest(*method, points, horizon_minutes * 60000, static_cast<std::size_t>(settings().max_points),
               by_operation ? kBacktestOperationOrigins : kBacktestOrigins);
  call.reply(crm::JsonObject()
                 .field("modelId", version->id)
                 .field("model", version->name)
                 .field("version", version->version)
                 .field("symbol", symbol)
                 .field("from", iso_of_ms(*from))
                 .field("to", iso_of_ms(*to))
                 .field("horizonMinutes", horizon_minutes)
                 .field("points", static_cast<std::int64_t>(points.size()))
                 .field("n", r.tally.n)
                 .raw("mae", optional_number(r.tally.mae()))
                 .raw("mape", optional_number(r.tally.mape()))
                 .raw("directionHitRate", optional_number(r.tally.direction_hit_rate()))
                 .field("failures", r.failures)
                 .str());
}

} // namespace forecast
