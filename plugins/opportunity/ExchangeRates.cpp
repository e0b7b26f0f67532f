// ExchangeRates: what one unit of each currency is worth in the currency the
// deal_approval routes are written in (EUR, the base), so that routing
// compares every request's amount in one currency. A request in a currency
// without a rate is refused (422 on `currency`): it could not be routed.
//
//   GET /api/approvals/exchange-rates           -> {base, items: [{currency, rate, updatedAt}]}
//   PUT /api/approvals/exchange-rates/{currency} {rate} (ADMIN) -> the rate
//   opportunity.exchange_rate {currency} (system: the workflow) -> {currency, rate, base}
//
// The workflow reads the rate when it routes a request; a rate changed later
// does not move a request already routed.
#include "Handlers.hpp"

#include "AmountRules.hpp"

#include <string>

namespace opportunity {

namespace {

constexpr const char* kBase = "EUR";

constexpr const char* kRateJson = R"sql(
    json_build_object('currency', r.currency, 'rate', r.rate, 'base', 'EUR', 'updatedAt', api_time(r.updated_at)))sql";

} // namespace

void require_exchange_rate(crm::Call& call, const std::string& currency, const std::string& key) {
  auto rows = call.sql("select 1 from exchange_rates where currency = $1", {currency});
  if (rows.size() == 0)
    throw crm::invalid(key, "has no exchange rate to " + std::string(kBase) +
                                "; an ADMIN sets one with PUT /api/approvals/exchange-rates/" + currency);
}

void list_exchange_rates(crm::Call& call) {
  auto rows = call.sql(std::string("select coalesce(json_agg(") + kRateJson +
                       " order by r.currency), '[]'::json) from exchange_rates r");
  call.reply(crm::JsonObject().field("base", std::string_view(kBase)).raw("items", *rows.at(0, 0)).str());
}

void put_exchange_rate(crm::Call& call) {
  const auto& in = call.input();
  const std::string currency = currency_or(in, "currency", "");
  if (currency.empty()) throw crm::invalid("currency", "is required");
  if (currency == kBase) throw crm::invalid("currency", std::string("is the base currency: its rate is 1"));
  if (!in.has("rate")) throw crm::invalid("rate", "is required");
  const auto value = in.object().get("rate");
  if (!value.isNumeric() || value.isString() || value.isBoolean() || value.convert<double>() <= 0)
    throw crm::invalid("rate", "must be a number greater than 0");
  auto rows = call.sql(std::string("insert into exchange_rates as r (currency, rate) values ($1, $2::numeric) "
                                   "on conflict (currency) do update set rate = excluded.rate, updated_at = now() "
                                   "returning ") + kRateJson,
                       {currency, value.toString()});
  call.reply(*rows.at(0, 0));
}

void exchange_rate_for_workflow(crm::Call& call) {
  const std::string currency = currency_or(call.input(), "currency", kBase);
  auto rows = call.sql(std::string("select ") + kRateJson + " from exchange_rates r where r.currency = $1", {currency});
  if (rows.size() == 0) throw crm::not_found("exchange rate for " + currency);
  call.reply(*rows.at(0, 0));
}

} // namespace opportunity
