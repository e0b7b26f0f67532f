// WatchlistHandlers: each user's watchlist, the symbols they follow. Only the
// caller's own rows are read or changed; another user's symbol is simply not
// in the caller's list. alerts.watched_symbols answers other plugins (the
// forecasts) with every symbol anyone watches.
//
// GET /api/market/watchlist -> {items: [{symbol, addedAt}]}, by symbol.
// POST /api/market/watchlist {symbol} -> 201 {symbol, addedAt} (adding a
// symbol already there answers the same row). DELETE
// /api/market/watchlist/{symbol} -> 204, or 404 when it is not on the list.
#include "Handlers.hpp"
#include "MarketPeer.hpp"

#include <cstdint>
#include <string>

namespace alerts {

namespace {
// Enough for a person; a bound so one caller's list stays small.
constexpr std::int64_t kMaxWatchedSymbols = 500;
} // namespace

void list_watchlist(crm::Call& call) {
  auto rows = call.sql(R"sql(
    select coalesce(json_agg(json_build_object('symbol', w.symbol, 'addedAt', api_time(w.added_at))
                             order by w.symbol), '[]')::text
    from watchlist w where w.user_id = $1::uuid)sql",
                       {call.principal().id});
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

void add_to_watchlist(crm::Call& call) {
  const std::string symbol = call.input().required_text("symbol");
  const std::string user = call.principal().id;
  require_instrument(call, symbol, "symbol");
  // The count and the insert in one statement: a full list adds nothing.
  auto rows = call.sql(R"sql(
    with added as (
      insert into watchlist (user_id, symbol)
      select $1::uuid, $2 where (select count(*) from watchlist where user_id = $1::uuid) < $3::int
      on conflict (user_id, symbol) do nothing
      returning symbol, added_at)
    select json_build_object('symbol', w.symbol, 'addedAt', api_time(w.added_at))::text
    from (select symbol, added_at from added
          union all
          select symbol, added_at from watchlist where user_id = $1::uuid and symbol = $2) w
    limit 1)sql",
                       {user, symbol, kMaxWatchedSymbols});
  if (rows.empty())
    throw crm::conflict("the watchlist holds " + std::to_string(kMaxWatchedSymbols) + " symbols already")
        .field("symbol", "the watchlist is full");
  call.reply(*rows.at(0, 0));
}

void remove_from_watchlist(crm::Call& call) {
  const std::string symbol = call.input().required_text("symbol");
  auto rows = call.sql("delete from watchlist where user_id = $1::uuid and symbol = $2 returning symbol",
                       {call.principal().id, symbol});
  if (rows.empty()) throw crm::not_found("watched symbol " + symbol);
}

void watched_symbols(crm::Call& call) {
  auto rows = call.sql("select coalesce(json_agg(s.symbol order by s.symbol), '[]')::text from (select distinct symbol "
                       "from watchlist) s");
  call.reply(crm::JsonObject().raw("symbols", *rows.at(0, 0)).str());
}

} // namespace alerts
