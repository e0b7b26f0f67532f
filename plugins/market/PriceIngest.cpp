// PriceIngest: POST /api/market/prices {prices: [{symbol, at, price,
// volume?}]}, at most 10,000 points, all or nothing.
//
// Two steps, none a statement per point: the body (parsed once) is read into
// column arrays with every item's shape checked (PriceBatch); one statement
// finds the items naming an unknown symbol or a time too far ahead, stores
// the batch through unnest() when there are none, keeps the hourly bars and
// answers what the events need. Any bad item is a 422 naming every bad
// item's field, and nothing is stored. A (symbol, at) already stored or
// repeated in the batch is a duplicate: counted, not an error, the first
// one kept. A point more than flag_jump_pct away from the symbol's previous
// point in time is stored flagged and emits market.price_flagged; each
// symbol with new points emits one market.prices_updated. 202 {accepted,
// duplicates}.
#include "Handlers.hpp"
#include "MarketSettings.hpp"
#include "PriceBatch.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <string>

namespace market {

namespace {

// The batch checked and stored in one statement: $1 symbols, $2 times,
// $3 prices, $4 volumes, $5 the jump (in percent) that flags a point, $6 how
// many seconds ahead a time may be, $7 whether to store (false when other
// items are already refused: their checks still run). The rows naming an unknown symbol or a
// time too far ahead are answered (kinds 'unknown' and 'ahead', with their
// row) and then nothing is stored. Each point's
// previous price is the one before it in time, among the batch's new points
// and the stored ones (for a batch appending to a series: the symbol's last
// stored point, then the batch in time order). Rows are written in key
// order so that two concurrent batches lock in the same order. Answers one
// row per symbol with new points (kind 'updated') and one per flagged point
// (kind 'flagged'), each with its event's data. The hourly bars' insert runs
// to completion though nothing reads it (PostgreSQL runs every data-modifying
// WITH).
constexpr const char* kStoreSql = R"sql(
with given as (
  select * from unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[]) with ordinality as b (symbol, at, price, volume, i)
),
refused as (
  select g.i - 1 as row, i.symbol is null as unknown, g.at > now() + make_interval(secs => $6::float8) as ahead
  from given g left join instruments i on i.symbol = g.symbol
  where i.symbol is null or g.at > now() + make_interval(secs => $6::float8)
),
batch as (
  select distinct on (symbol, at) symbol, at, price, volume from given order by symbol, at, i
),
spans as (select symbol, min(at) as lo, max(at) as hi from batch group by symbol),
before as (
  select s.symbol, p.at, p.price from spans s
  cross join lateral (select at, price from prices where symbol = s.symbol and at < s.lo order by at desc limit 1) p
),
latest as (
  select s.symbol, p.price from spans s
  cross join lateral (select price from prices where symbol = s.symbol order by at desc limit 1) p
),
stored as (
  select p.symbol, p.at, p.price from spans s join prices p on p.symbol = s.symbol and p.at between s.lo and s.hi
),
timeline as (
  select b.symbol, b.at, b.price, b.volume, true as fresh from batch b
  where not exists (select 1 from stored s where s.symbol = b.symbol and s.at = b.at)
  union all select symbol, at, price, null, false from stored
  union all select symbol, at, price, null, false from before
),
judged as (
  select symbol, at, price, volume, fresh, lag(price) over (partition by symbol order by at) as previous
  from timeline
),
inserted as (
  insert into prices (symbol, at, price, volume, flagged)
  select symbol, at, price, volume, coalesce(abs(price / previous - 1) * 100 > $5::float8, false)
  from judged where fresh and $7::boolean and not exists (select 1 from refused) order by symbol, at
  on conflict do nothing
  returning symbol, at, price, volume, flagged
),
hours as (
  insert into bars_1h as h (symbol, bucket, first_at, open, high, low, last_at, close, volume, points)
  select symbol, date_bin('1 hour', at, timestamptz 'epoch'), min(at), (array_agg(price order by at))[1],
         max(price), min(price), max(at), (array_agg(price order by at desc))[1], sum(coalesce(volume, 0)), count(*)
  from inserted group by 1, 2 order by 1, 2
  on conflict (symbol, bucket) do update set
    open = case when excluded.first_at < h.first_at then excluded.open else h.open end,
    first_at = least(h.first_at, excluded.first_at),
    high = greatest(h.high, excluded.high),
    low = least(h.low, excluded.low),
    close = case when excluded.last_at > h.last_at then excluded.close else h.close end,
    last_at = greatest(h.last_at, excluded.last_at),
    volume = h.volume + excluded.volume,
    points = h.points + excluded.points
),
updated as (
  select symbol, count(*) as n, max(at) as at, (array_agg(price order by at desc))[1] as price,
         (array_agg(volume order by at desc))[1] as volume, min(price) as low, max(price) as high
  from inserted group by symbol
)
select 'updated', u.symbol, u.n,
       json_build_object('symbol', u.symbol, 'price', u.price, 'at', iso_time(u.at), 'volume', u.volume,
                         'previousPrice', l.price, 'count', u.n, 'low', u.low, 'high', u.high)::text
from updated u left join latest l using (symbol)
union all
select 'flagged', i.symbol, 1,
       json_build_object('symbol', i.symbol, 'at', iso_time(i.at), 'price', i.price, 'previousPrice', j.previous,
                         'changePct', round(((i.price / j.previous - 1) * 100)::numeric, 4))::text
from inserted i join judged j using (symbol, at) where i.flagged
union all
select 'unknown', null, row, null from refused where unknown
union all
select 'ahead', null, row, null from refused where ahead
)sql";

// A 422 naming every bad item's fields, in the items' order.
[[noreturn]] void refuse(std::vector<FieldError> errors, std::size_t items) {
  std::stable_sort(errors.begin(), errors.end(),
                   [](const FieldError& a, const FieldError& b) { return a.item < b.item; });
  crm::Error error(CRM_E_INVALID, std::to_string(errors.size()) + " field(s) refused among " + std::to_string(items) +
                                      " prices; nothing was stored");
  for (const auto& e : errors) error.field(e.field, e.message);
  throw error;
}

// The batch in columns: read from the text when every item is plainly good
// (the common case), else through the parsed tree, which names what is bad.
PriceBatch read_batch(crm::Call& call, std::size_t& items) {
  if (auto columns = scan_price_batch(call.input_json())) {
    items = columns->size();
    return PriceBatch{std::move(*columns), {}};
  }
  const auto prices = call.input().object().getArray("prices");
  if (!prices) throw crm::invalid("prices", "must be an array of {symbol, at, price, volume?}");
  if (prices->size() > kMaxBatchPoints)
    throw crm::invalid("prices", "holds " + std::to_string(prices->size()) + " prices; at most " +
                                     std::to_string(kMaxBatchPoints) + " are taken in one call");
  items = prices->size();
  return read_price_batch(*prices);
}

} // namespace

void ingest_prices(crm::Call& call) {
  std::size_t items = 0;
  PriceBatch batch = read_batch(call, items);
  const PriceColumns& columns = batch.columns;
  // The database's checks name their bad items too: they run on every item
  // of good shape, even when others are bad, and then nothing is stored.
  const long long tolerance = settings().future_tolerance_seconds;
  auto rows =
      call.sql(kStoreSql, {columns.symbols, columns.times, columns.prices, columns.volumes, settings().flag_jump_pct,
                           static_cast<std::int64_t>(tolerance), batch.errors.empty()});
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string_view kind = *rows.at(r, 0);
    if (kind != "unknown" && kind != "ahead") continue;
    const std::size_t item = columns.items.at(std::stoul(std::string(*rows.at(r, 2))));
    if (kind == "unknown")
      batch.errors.push_back({item, item_field(item, "symbol"), "is not a known instrument"});
    else
      batch.errors.push_back(
          {item, item_field(item, "at"), "is more than " + std::to_string(tolerance) + " seconds in the future"});
  }
  if (!batch.errors.empty()) refuse(std::move(batch.errors), items);

  std::int64_t accepted = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::string_view kind = *rows.at(r, 0);
    const std::string symbol(*rows.at(r, 1));
    if (kind == "updated") {
      accepted += std::stoll(std::string(*rows.at(r, 2)));
      call.emit("market.prices_updated", symbol, *rows.at(r, 3));
    } else {
      call.emit("market.price_flagged", symbol, *rows.at(r, 3));
    }
  }
  call.reply(crm::JsonObject()
                 .field("accepted", accepted)
                 .field("duplicates", static_cast<std::int64_t>(columns.size()) - accepted)
                 .str());
}

} // namespace market
