// PriceQueries: reads of a symbol's series.
//
// GET /api/market/instruments/{symbol}/bars?from=&to=&interval=1m|5m|1h|1d
// -> {items: [{at, open, high, low, close, volume}]}, computed on request. A
// bar covers its whole interval, aligned on the Unix epoch in UTC (a day bar
// is a UTC day); `from` is taken back to its bar's start and the bars are
// those starting before `to`; at most kMaxBars. 1m and 5m bars are computed
// from the points, 1h and 1d from the hourly bars the ingestion keeps (same
// figures, a 60th of the rows).
// market.history {symbol, from, to, limit?} -> {items: [{at, price,
// volume}]}, `to` exclusive; market.price_at {symbol, at} -> the last point
// at or before `at`, {symbol, price, at}, or not found.
#include "Handlers.hpp"
#include "PriceBatch.hpp"

#include <crm/sdk/input_rules.hpp>

#include <string>

namespace market {

namespace {

constexpr std::int64_t kMaxBars = 10000;
constexpr std::int64_t kMaxHistory = 100000;

// The bounds as [lower, upper): $2 from, $3 to, $4 the interval.
#define MARKET_BAR_BOUNDS                                                                                              \
  "date_bin($4::interval, $2::timestamptz, timestamptz 'epoch') and "                                                  \
  "date_bin($4::interval, $3::timestamptz - interval '1 microsecond', timestamptz 'epoch') + $4::interval"

// Each bar as a row (at, open, high, low, close, volume), in time order; the
// reply is written from them in C++ (json_agg of 8,760 hourly bars took
// longer than reading them). A bar starts on a whole minute, so its time
// needs no fraction.
#define MARKET_BAR_AT "to_char(b at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

constexpr const char* kBarsFromPointsSql =
    "select " MARKET_BAR_AT ", o, h, l, c, v from ("
    " select date_bin($4::interval, at, timestamptz 'epoch') as b, (array_agg(price order by at))[1] as o,"
    " max(price) as h, min(price) as l, (array_agg(price order by at desc))[1] as c, sum(coalesce(volume, 0)) as v"
    " from prices where symbol = $1 and at >= " MARKET_BAR_BOUNDS " > at group by 1) bars order by b";

constexpr const char* kBarsFromHoursSql =
    "select " MARKET_BAR_AT ", o, h, l, c, v from ("
    " select date_bin($4::interval, bucket, timestamptz 'epoch') as b, (array_agg(open order by first_at))[1] as o,"
    " max(high) as h, min(low) as l, (array_agg(close order by last_at desc))[1] as c, sum(volume) as v"
    " from bars_1h where symbol = $1 and bucket >= " MARKET_BAR_BOUNDS " > bucket group by 1) bars order by b";

// 1h bars are the hourly rows as they are.
constexpr const char* kHourBarsSql =
    "select " MARKET_BAR_AT ", open, high, low, close, volume from (select bucket as b, open, high, low, close, volume"
    " from bars_1h where symbol = $1 and bucket >= " MARKET_BAR_BOUNDS " > bucket) bars order by b";

#undef MARKET_BAR_AT
#undef MARKET_BAR_BOUNDS

struct Interval {
  const char* name;
  const char* sql; // as a PostgreSQL interval
  std::int64_t seconds;
  bool from_hours; // read the hourly bars
};
constexpr Interval kIntervals[] = {{"1m", "1 minute", 60, false},
                                   {"5m", "5 minutes", 300, false},
                                   {"1h", "1 hour", 3600, true},
                                   {"1d", "1 day", 86400, true}};

const Interval& interval_of(const crm::Input& in) {
  const auto name = crm::optional_choice(in, "interval", {"1m", "5m", "1h", "1d"});
  if (!name) throw crm::invalid("interval", "is required: 1m, 5m, 1h or 1d");
  for (const auto& i : kIntervals)
    if (*name == i.name) return i;
  throw crm::invalid("interval", "must be 1m, 5m, 1h or 1d");
}

std::string required_time(const crm::Input& in, const std::string& key) {
  const auto t = crm::optional_timestamp(in, key);
  if (!t) throw crm::invalid(key, "is required: an RFC 3339 date-time such as 2026-01-31T09:30:00Z");
  return *t;
}

// Every bad parameter at once: from and to RFC 3339, interval one of four.
struct BarQuery {
  std::string from, to;
  const Interval* interval = nullptr;
};
BarQuery read_bar_query(const crm::Input& in) {
  BarQuery q;
  std::optional<crm::Error> failed;
  auto attempt = [&](auto read) {
    try {
      read();
    } catch (const crm::Error& e) {
      if (!failed) failed.emplace(CRM_E_INVALID, "validation failed");
      for (const auto& [field, message] : e.fields()) failed->field(field, message);
    }
  };
  attempt([&] { q.from = required_time(in, "from"); });
  attempt([&] { q.to = required_time(in, "to"); });
  attempt([&] { q.interval = &interval_of(in); });
  if (failed) throw *failed;
  return q;
}

std::string known_symbol(crm::Call& call) {
  const std::string symbol = call.input().required_text("symbol");
  if (!is_symbol(symbol) || call.sql("select 1 from instruments where symbol = $1", {symbol}).empty())
    throw crm::not_found("instrument " + symbol);
  return symbol;
}

} // namespace

void bars(crm::Call& call) {
  const BarQuery q = read_bar_query(call.input());
  const std::string symbol = known_symbol(call);
  auto span = call.sql("select $2::timestamptz >= $3::timestamptz, ceil(extract(epoch from $3::timestamptz - "
                       "date_bin($1::interval, $2::timestamptz, timestamptz 'epoch')) / $4::float8)::bigint",
                       {q.interval->sql, q.from, q.to, q.interval->seconds});
  if (*span.at(0, 0) == "t") throw crm::invalid("to", "must be after from");
  const std::int64_t count = std::stoll(std::string(*span.at(0, 1)));
  if (count > kMaxBars)
    throw crm::invalid("to", "the range holds " + std::to_string(count) + " bars of " + q.interval->name +
                                 "; at most " + std::to_string(kMaxBars) +
                                 " are returned: narrow from/to or take a longer interval");
  const char* sql = !q.interval->from_hours ? kBarsFromPointsSql
                    : q.interval->seconds == 3600 ? kHourBarsSql
                                                  : kBarsFromHoursSql;
  auto rows = call.sql(sql, {symbol, q.from, q.to, q.interval->sql});
  // PostgreSQL writes a double as the shortest text that reads back the
  // same, which is JSON; the prices stored are finite.
  static constexpr const char* kKeys[] = {"{\"at\":\"", "\",\"open\":", ",\"high\":", ",\"low\":", ",\"close\":",
                                          ",\"volume\":"};
  std::string reply = "{\"items\":[";
  reply.reserve(16 + rows.size() * 120);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r) reply.push_back(',');
    for (int c = 0; c < 6; ++c) reply.append(kKeys[c]).append(*rows.at(r, c));
    reply.push_back('}');
  }
  reply += "]}";
  call.reply(reply);
}

void history(crm::Call& call) {
  const auto& in = call.input();
  const std::string from = required_time(in, "from");
  const std::string to = required_time(in, "to");
  const std::int64_t limit = crm::integer_between(in, "limit", 1, kMaxHistory, kMaxHistory);
  const std::string symbol = known_symbol(call);
  auto rows = call.sql("select coalesce(json_agg(json_build_object('at', iso_time(at), 'price', price, "
                       "'volume', volume) order by at), '[]')::text from (select at, price, volume from prices "
                       "where symbol = $1 and at >= $2::timestamptz and at < $3::timestamptz order by at "
                       "limit $4::int) p",
                       {symbol, from, to, limit});
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

void price_at(crm::Call& call) {
  const std::string at = required_time(call.input(), "at");
  const std::string symbol = known_symbol(call);
  auto rows = call.sql("select json_build_object('symbol', symbol, 'price', price, 'at', iso_time(at))::text "
                       "from prices where symbol = $1 and at <= $2::timestamptz order by at desc limit 1",
                       {symbol, at});
  if (rows.empty()) throw crm::not_found("a price of " + symbol + " at or before " + at);
  call.reply(*rows.at(0, 0));
}

} // namespace market
