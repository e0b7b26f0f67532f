// InstrumentHandlers: the catalogue of instruments and each one's latest
// price. Anyone signed in reads; only an ADMIN adds an instrument.
//
// GET /api/market/instruments?q=&limit= -> {items}, by symbol; q matches the
// start of a symbol or any part of a name, in any case.
// POST /api/market/instruments {symbol, name, exchange, currency} -> 201
// (409 when the symbol is taken).
// GET /api/market/instruments/{symbol}/latest -> {symbol, price, at, volume,
// flagged} (404 for an unknown symbol or one without prices).
// market.instruments {} -> {items}; market.latest {symbol} -> {symbol,
// price, at} or not found: for other plugins.
#include "Handlers.hpp"
#include "PriceBatch.hpp"

#include <crm/sdk/input_rules.hpp>

#include <string>

namespace market {

namespace {

constexpr const char* kLatestSql =
    "select json_build_object('symbol', symbol, 'price', price, 'at', iso_time(at), 'volume', volume, "
    "'flagged', flagged)::text from prices where symbol = $1 order by at desc limit 1";

// The {symbol} of a path or an operation's input; an impossible symbol is
// simply not there.
std::string symbol_of(crm::Call& call) {
  const std::string symbol = call.input().required_text("symbol");
  if (!is_symbol(symbol)) throw crm::not_found("instrument " + symbol);
  return symbol;
}

// The latest point of `symbol` as {symbol, price, at, volume, flagged}.
std::string latest_json(crm::Call& call, const std::string& symbol) {
  auto rows = call.sql(kLatestSql, {symbol});
  if (rows.empty()) {
    auto known = call.sql("select 1 from instruments where symbol = $1", {symbol});
    throw crm::not_found(known.empty() ? "instrument " + symbol : "a price of " + symbol);
  }
  return std::string(*rows.at(0, 0));
}

} // namespace

void list_instruments(crm::Call& call) {
  const auto& in = call.input();
  const auto q = crm::optional_text(in, "q", 100);
  const auto limit = crm::integer_between(in, "limit", 1, 1000, 1000);
  auto rows = call.sql("select coalesce(json_agg(instrument_json(i) order by i.symbol), '[]')::text from "
                       "(select * from instruments where $1::text is null or starts_with(upper(symbol), upper($1)) "
                       "or strpos(lower(name), lower($1)) > 0 order by symbol limit $2::int) i",
                       {q, limit});
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

void create_instrument(crm::Call& call) {
  const auto& in = call.input();
  const std::string symbol = in.required_text("symbol");
  if (!is_symbol(symbol)) throw crm::invalid("symbol", "must be 1 to 32 letters, digits, '.', '_' or '-'");
  const std::string name = crm::required_text(in, "name", 200);
  const std::string exchange = crm::required_text(in, "exchange", 64);
  const std::string currency = in.required_text("currency");
  auto rows = call.sql("insert into instruments (symbol, name, exchange, currency) values ($1, $2, $3, $4) "
                       "on conflict (symbol) do nothing returning instrument_json(instruments)::text",
                       {symbol, name, exchange, currency});
  if (rows.empty()) throw crm::conflict("an instrument with symbol " + symbol + " exists").field("symbol", "is taken");
  call.reply(*rows.at(0, 0));
}

void latest_price(crm::Call& call) {
  const std::string symbol = symbol_of(call);
  call.reply(latest_json(call, symbol));
}

void all_instruments(crm::Call& call) {
  auto rows =
      call.sql("select coalesce(json_agg(instrument_json(i) order by i.symbol), '[]')::text from instruments i");
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

void latest_of(crm::Call& call) {
  const std::string symbol = symbol_of(call);
  auto rows = call.sql("select json_build_object('symbol', symbol, 'price', price, 'at', iso_time(at))::text "
                       "from prices where symbol = $1 order by at desc limit 1",
                       {symbol});
  if (rows.empty()) throw crm::not_found("a price of " + symbol);
  call.reply(*rows.at(0, 0));
}

} // namespace market
