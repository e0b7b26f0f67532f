// AlertEvaluation: market.prices_updated against the alert rules of its
// symbol. The event carries the symbol's last price of a batch and the
// batch's lowest and highest; the rules move as AlertRule.hpp says
// (observe_span), in one set-based statement (and a second for the MOVE_PCT
// rules, only for a symbol that has some):
//
//   - the price is marked as the symbol's latest only if it is newer than
//     the one marked before, so an older or repeated event changes nothing;
//   - armed ABOVE rules with threshold <= the batch's high and armed BELOW
//     rules with threshold >= its low fire; fired rules the batch went back
//     from re-arm, or fire again when its last price is over once more. Each
//     is a range scan of a partial index on (symbol, kind, threshold): the
//     rules the batch does not reach are never read. As armed rules are
//     exactly those whose condition did not hold at the last price, the
//     armed ones found are those the batch crossed;
//   - MOVE_PCT rules compare the move since the start of their window,
//     priced by market.price_at once per distinct window of the symbol
//     (the first statement names the windows), with the same fire and
//     re-arm rules in the second;
//   - each crossing is recorded in fired_alerts under (rule, price time).
//
// Then each fired rule becomes a PRICE_ALERT (AlertNotifications.hpp).
#include "AlertNotifications.hpp"
#include "Handlers.hpp"
#include "MarketPeer.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace alerts {

namespace {

// The fired rules as both statements return them, after the row's kind:
// f.price is the price that crossed.
constexpr const char* kFiredColumns = R"sql(
  f.id::text, f.user_id::text, f.symbol, f.kind, f.threshold::text, f.window_minutes::text,
  round(f.pct::numeric, 2)::text, f.price::text, cursor_time(m.at))sql";

// Mark, fire, re-arm, record: ABOVE and BELOW, against the batch's lowest,
// highest and last price (RuleState::observe_span; an event without low and
// high is one price). $1 the event's envelope, $2 its id. Rows ('fired',
// <kFiredColumns>), and ('moves', [{window, start}]) when the price was
// marked and the symbol has MOVE_PCT rules.
//   ABOVE fires when armed and threshold <= high, or when fired and
//   low < threshold <= last (went back, then over again); it ends armed when
//   last < threshold, and a fired one with low < threshold and
//   last < threshold re-arms. BELOW is the mirror image.
const std::string kEvaluate = R"sql(
with e as (
  select d->>'symbol' as symbol, (d->>'price')::float8 as price, (d->>'at')::timestamptz as at,
         coalesce((d->>'low')::float8, (d->>'price')::float8) as low,
         coalesce((d->>'high')::float8, (d->>'price')::float8) as high
  from (select $1::jsonb->'data' as d) x),
marked as (
  insert into symbol_marks as s (symbol, price, at) select symbol, price, at from e
  on conflict (symbol) do update set price = excluded.price, at = excluded.at where s.at < excluded.at
  returning symbol, price, at),
m as (select marked.*, least(e.low, e.price) as low, greatest(e.high, e.price) as high from marked cross join e),
crossed as (
  select r.id, m.high as price from m join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'ABOVE' and r.threshold <= m.high
  union all
  select r.id, m.high from m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'ABOVE' and r.threshold > m.low and r.threshold <= m.price
  union all
  select r.id, m.low from m join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'BELOW' and r.threshold >= m.low
  union all
  select r.id, m.low from m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'BELOW' and r.threshold < m.high and r.threshold >= m.price),
crossed_back as (
  select r.id from m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'ABOVE' and r.threshold > m.low and r.threshold > m.price
  union all
  select r.id from m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'BELOW' and r.threshold < m.high and r.threshold < m.price),
rearmed as (
  update rules r set armed = true from crossed_back b where r.id = b.id returning r.id),
fired as (
  update rules r set last_fired_at = m.at, fired_count = r.fired_count + 1,
    armed = case when r.kind = 'ABOVE' then r.threshold > m.price else r.threshold < m.price end
  from crossed c, m where r.id = c.id
  returning r.id, r.user_id, r.symbol, r.kind, r.threshold, r.window_minutes, null::float8 as pct, c.price),
recorded as (
  insert into fired_alerts (rule_id, price_at, price, event_id)
  select f.id, m.at, f.price, $2 from fired f, m
  on conflict (rule_id, price_at) do nothing
  returning rule_id)
select 'fired', )sql" + std::string(kFiredColumns) +
                              R"sql(
from fired f join recorded k on k.rule_id = f.id cross join m
union all
select 'moves', json_agg(json_build_object('window', w.window_minutes,
                         'start', cursor_time(m.at - make_interval(mins => w.window_minutes))))::text,
       null, null, null, null, null, null, null, null
from m join lateral (select distinct window_minutes from rules r
                     where r.symbol = m.symbol and r.kind = 'MOVE_PCT') w on true
group by m.at)sql";

// The MOVE_PCT rules of the symbol marked by kEvaluate: $1 the envelope, $2
// [{window, base}], $3 the event's id. Rows ('fired', <kFiredColumns>).
const std::string kEvaluateMoves = R"sql(
with m as (
  select d->>'symbol' as symbol, (d->>'price')::float8 as price, (d->>'at')::timestamptz as at
  from (select $1::jsonb->'data' as d) x),
moves as (
  select (b->>'window')::int as window_minutes, abs(m.price / (b->>'base')::float8 - 1) * 100 as pct
  from m, jsonb_array_elements($2::jsonb) b where (b->>'base')::float8 > 0),
crossed as (
  select r.id, v.pct from m cross join moves v join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'MOVE_PCT' and r.threshold <= v.pct
       and r.window_minutes = v.window_minutes),
crossed_back as (
  select r.id from m cross join moves v join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'MOVE_PCT' and r.threshold > v.pct
       and r.window_minutes = v.window_minutes),
rearmed as (
  update rules r set armed = true from crossed_back b where r.id = b.id returning r.id),
fired as (
  update rules r set armed = false, last_fired_at = m.at, fired_count = r.fired_count + 1
  from crossed c, m where r.id = c.id
  returning r.id, r.user_id, r.symbol, r.kind, r.threshold, r.window_minutes, c.pct, m.price),
recorded as (
  insert into fired_alerts (rule_id, price_at, price, move_pct, event_id)
  select f.id, m.at, m.price, f.pct, $3 from fired f, m
  on conflict (rule_id, price_at) do nothing
  returning rule_id)
select 'fired', )sql" + std::string(kFiredColumns) +
                                   R"sql(
from fired f join recorded k on k.rule_id = f.id cross join m)sql";

FiredAlert fired_alert(const crm::Rows& rows, size_t i) {
  auto text = [&](size_t c) { return std::string(rows.at(i, c).value_or("")); };
  auto maybe = [&](size_t c) -> std::optional<std::string> {
    const auto v = rows.at(i, c);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  return {text(1), text(2), text(3), text(4), text(5), maybe(6), maybe(7), text(8), text(9)};
}

// [{"window": minutes, "base": price}] for the windows (kEvaluate's 'moves'
// JSON) that have a price at their start.
std::string window_bases(crm::Call& call, const std::string& symbol, const std::string& windows_json) {
  Poco::JSON::Parser parser;
  const auto windows = parser.parse(windows_json).extract<Poco::JSON::Array::Ptr>();
  std::string out = "[";
  for (unsigned i = 0; windows && i < windows->size(); ++i) {
    const auto w = windows->getObject(i);
    const auto base = price_at(call, symbol, w->getValue<std::string>("start"));
    if (!base) continue;
    char price[32];
    std::snprintf(price, sizeof price, "%.17g", base->price); // every digit of the double
    if (out.size() > 1) out += ',';
    out += crm::JsonObject().field("window", w->getValue<std::int64_t>("window")).raw("base", price).str();
  }
  return out + "]";
}

} // namespace

void on_prices_updated(crm::Call& call) {
  const auto& event = call.input();
  const auto data = event.object().getObject("data");
  if (!data || !data->has("symbol") || !data->has("price") || !data->has("at")) {
    call.log(CRM_LOG_WARN, "market.prices_updated without symbol, price and at: ignored");
    return;
  }
  const std::string envelope(call.input_json());
  const auto event_id = event.text("id");

  std::vector<FiredAlert> fired;
  std::optional<std::string> windows;
  {
    auto rows = call.sql(kEvaluate, {envelope, event_id});
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows.at(i, 0) == "moves")
        windows = std::string(*rows.at(i, 1));
      else
        fired.push_back(fired_alert(rows, i));
    }
  }
  if (windows) {
    const std::string bases = window_bases(call, data->getValue<std::string>("symbol"), *windows);
    auto rows = call.sql(kEvaluateMoves, {envelope, bases, event_id});
    for (size_t i = 0; i < rows.size(); ++i) fired.push_back(fired_alert(rows, i));
  }
  for (const auto& alert : fired) send_price_alert(call, alert);
}

} // namespace alerts
