// ActualPrices: market.prices_updated settles the symbol's pending forecasts
// whose target time the new prices reach. A forecast's actual is the last
// price at or before its target time (market.price_at; the event's price when
// the market cannot say); its absolute error and direction hit are stored and
// added to its version's accuracy in one statement, guarded by "actual is
// null", so a forecast counts once however often the event is delivered (the
// host's inbox drops a redelivery too).
#include "Accuracy.hpp"
#include "Handlers.hpp"
#include "MarketReads.hpp"
#include "SeriesText.hpp"

#include <map>
#include <string>

namespace forecast {

namespace {

// At most this many forecasts are settled per event; the rest wait for the next.
constexpr int kMaxSettledPerEvent = 2000;

constexpr const char* kSettleSql = R"sql(
with r as (
  select * from jsonb_to_recordset($1::jsonb) as r(id bigint, actual float8, abs_error float8, ape float8, hit boolean)),
settled as (
  update forecasts f set actual = r.actual, abs_error = r.abs_error, direction_hit = r.hit, resolved_at = now()
  from r where f.id = r.id and f.actual is null
  returning f.model_id, r.abs_error, r.ape, r.hit),
per_version as (
  select model_id, count(*) as n, sum(abs_error) as sum_abs_error, coalesce(sum(ape), 0) as sum_ape,
         count(ape) as n_ape, count(*) filter (where hit) as hits
  from settled group by model_id)
update accuracy a set n = a.n + p.n, sum_abs_error = a.sum_abs_error + p.sum_abs_error,
  sum_ape = a.sum_ape + p.sum_ape, n_ape = a.n_ape + p.n_ape, hits = a.hits + p.hits
from per_version p where a.model_id = p.model_id)sql";

} // namespace

void on_prices_updated(crm::Call& call) {
  const auto event = call.input().object().getObject("data");
  if (!event) return;
  const std::string symbol = event->optValue<std::string>("symbol", "");
  const std::string at = event->optValue<std::string>("at", "");
  if (symbol.empty() || !utc_ms(at)) return;
  const double event_price = event->optValue<double>("price", 0);

  auto pending = call.sql("select id, base_price, predicted, to_char(target_at at time zone 'UTC', "
                          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') from forecasts "
                          "where symbol = $1 and actual is null and target_at <= $2::timestamptz "
                          "order by target_at limit $3::int",
                          {symbol, at, kMaxSettledPerEvent});
  if (pending.empty()) return;

  std::map<std::string, double> actual_at; // one market.price_at per target time
  std::string rows = "[";
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const std::string target(*pending.at(i, 3));
    auto found = actual_at.find(target);
    if (found == actual_at.end())
      found = actual_at.emplace(target, price_at(call, symbol, target).value_or(event_price)).first;
    const double actual = found->second;
    const Outcome o =
        outcome_of(std::stod(std::string(*pending.at(i, 1))), std::stod(std::string(*pending.at(i, 2))), actual);
    if (rows.size() > 1) rows += ',';
    rows += crm::JsonObject()
                .raw("id", *pending.at(i, 0))
                .raw("actual", number_json(actual))
                .raw("abs_error", number_json(o.abs_error))
                .raw("ape", o.ape ? number_json(*o.ape) : "null")
                .field("hit", o.direction_hit)
                .str();
  }
  rows += ']';
  call.sql(kSettleSql, {rows});
}

} // namespace forecast
