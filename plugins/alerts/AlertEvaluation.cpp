// AlertEvaluation: market.prices_updated against the alert rules of its
// symbol. The event carries the symbol's last price of a batch; the rules
// move as AlertRule.hpp says, in one set-based statement:
//
//   - the price is marked as the symbol's latest only if it is newer than
//     the one marked before, so an older or repeated event changes nothing;
//   - armed ABOVE rules with threshold <= price and armed BELOW rules with
//     threshold >= price fire; fired ABOVE rules with threshold > price and
//     fired BELOW rules with threshold < price re-arm. Each is a range scan
//     of a partial index on (symbol, kind, threshold): the rules a price
//     does not cross are never read. As armed rules are exactly those whose
//     condition did not hold at the last price, the armed ones found are
//     those the move from the last price to this one crossed;
//   - MOVE_PCT rules compare the move since the start of their window,
//     priced by market.price_at once per distinct window of the symbol,
//     with the same fire and re-arm rules;
//   - each crossing is recorded in fired_alerts under (rule, price time).
//
// Then each fired rule becomes a PRICE_ALERT (AlertNotifications.hpp).
#include "AlertNotifications.hpp"
#include "Handlers.hpp"
#include "MarketPeer.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace alerts {

namespace {

// [{"window": minutes, "base": price}] for the symbol's MOVE_PCT windows
// that have a price at their start.
std::string window_bases(crm::Call& call, const std::string& envelope) {
  auto windows = call.sql(R"sql(
    select distinct r.window_minutes,
           cursor_time(($1::jsonb->'data'->>'at')::timestamptz - make_interval(mins => r.window_minutes))
    from rules r where r.symbol = $1::jsonb->'data'->>'symbol' and r.kind = 'MOVE_PCT')sql",
                          {envelope});
  std::string out = "[";
  const std::string symbol = call.input().object().getObject("data")->getValue<std::string>("symbol");
  // Copied first: the rows end at the next statement, and an invoke may run one.
  std::vector<std::pair<std::string, std::string>> starts;
  for (size_t i = 0; i < windows.size(); ++i) starts.emplace_back(*windows.at(i, 0), *windows.at(i, 1));
  for (const auto& [minutes, start] : starts) {
    const auto base = price_at(call, symbol, start);
    if (!base) continue;
    if (out.size() > 1) out += ',';
    char price[32];
    std::snprintf(price, sizeof price, "%.17g", base->price); // every digit of the double
    out += crm::JsonObject().raw("window", minutes).raw("base", price).str();
  }
  return out + "]";
}

// The one statement: mark, fire, re-arm, record. Returns the fired rules.
constexpr const char* kEvaluate = R"sql(
with e as (
  select d->>'symbol' as symbol, (d->>'price')::float8 as price, (d->>'at')::timestamptz as at
  from (select $1::jsonb->'data' as d) x),
marked as (
  insert into symbol_marks as s (symbol, price, at) select symbol, price, at from e
  on conflict (symbol) do update set price = excluded.price, at = excluded.at where s.at < excluded.at
  returning symbol, price, at),
moves as (
  select (b->>'window')::int as window_minutes, abs(m.price / (b->>'base')::float8 - 1) * 100 as pct
  from marked m, jsonb_array_elements($2::jsonb) b where (b->>'base')::float8 > 0),
crossed as (
  select r.id, null::float8 as pct from marked m join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'ABOVE' and r.threshold <= m.price
  union all
  select r.id, null from marked m join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'BELOW' and r.threshold >= m.price
  union all
  select r.id, v.pct from marked m cross join moves v join rules r
    on r.symbol = m.symbol and r.armed and r.kind = 'MOVE_PCT' and r.threshold <= v.pct
       and r.window_minutes = v.window_minutes),
crossed_back as (
  select r.id from marked m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'ABOVE' and r.threshold > m.price
  union all
  select r.id from marked m join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'BELOW' and r.threshold < m.price
  union all
  select r.id from marked m cross join moves v join rules r
    on r.symbol = m.symbol and not r.armed and r.kind = 'MOVE_PCT' and r.threshold > v.pct
       and r.window_minutes = v.window_minutes),
rearmed as (
  update rules r set armed = true from crossed_back b where r.id = b.id returning r.id),
fired as (
  update rules r set armed = false, last_fired_at = m.at, fired_count = r.fired_count + 1
  from crossed c, marked m where r.id = c.id
  returning r.id, r.user_id, r.symbol, r.kind, r.threshold, r.window_minutes, c.pct),
recorded as (
  insert into fired_alerts (rule_id, price_at, price, move_pct, event_id)
  select f.id, m.at, m.price, f.pct, $3 from fired f, marked m
  on conflict (rule_id, price_at) do nothing
  returning rule_id)
select f.id, f.user_id, f.symbol, f.kind, f.threshold::text, f.window_minutes::text, round(f.pct::numeric, 2)::text,
       m.price::text, cursor_time(m.at)
from fired f join recorded k on k.rule_id = f.id cross join marked m
order by f.id)sql";

} // namespace

void on_prices_updated(crm::Call& call) {
  const auto& event = call.input();
  const auto data = event.object().getObject("data");
  if (!data || !data->has("symbol") || !data->has("price") || !data->has("at")) {
    call.log(CRM_LOG_WARN, "market.prices_updated without symbol, price and at: ignored");
    return;
  }
  const std::string envelope(call.input_json());
  const std::string bases = window_bases(call, envelope);
  auto rows = call.sql(kEvaluate, {envelope, bases, event.text("id")});

  std::vector<FiredAlert> fired;
  fired.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    auto text = [&](size_t c) { return std::string(*rows.at(i, c)); };
    auto maybe = [&](size_t c) -> std::optional<std::string> {
      const auto v = rows.at(i, c);
      return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    fired.push_back({text(0), text(1), text(2), text(3), text(4), maybe(5), maybe(6), text(7), text(8)});
  }
  for (const auto& alert : fired) send_price_alert(call, alert);
}

} // namespace alerts
