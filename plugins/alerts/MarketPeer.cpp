// MarketPeer: see the header.
#include "MarketPeer.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cmath>

namespace alerts {

namespace {

// The market's answer to `operation`; nullopt when it says not found.
std::optional<Poco::JSON::Object::Ptr> ask_market(crm::Call& call, const char* operation, const std::string& input) {
  const crm::InvokeResult r = call.invoke_result(operation, input);
  if (r.ok()) {
    if (r.body.empty()) return std::nullopt;
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  }
  if (r.status == CRM_E_NOT_FOUND) return std::nullopt;
  if (r.status == CRM_E_NO_OPERATION) throw crm::Error(CRM_E_UNAVAILABLE, "the market plugin is not loaded");
  throw crm::Error(CRM_E_UNAVAILABLE, std::string("the market cannot answer right now: ") + r.detail());
}

// {symbol, price, at} as PricePoint; nullopt when the price is missing or
// not a positive finite number (the market never stores such a price).
std::optional<PricePoint> point_of(const Poco::JSON::Object& o) {
  if (!o.has("price") || o.isNull("price") || !o.has("at")) return std::nullopt;
  double price = 0;
  try {
    price = o.get("price").convert<double>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  if (!std::isfinite(price) || price <= 0) return std::nullopt;
  return PricePoint{price, o.get("at").toString()};
}

} // namespace

std::optional<PricePoint> latest_price(crm::Call& call, const std::string& symbol) {
  const auto answer = ask_market(call, "market.latest", crm::JsonObject().field("symbol", symbol).str());
  return answer ? point_of(**answer) : std::nullopt;
}

std::optional<PricePoint> price_at(crm::Call& call, const std::string& symbol, const std::string& at) {
  const auto answer =
      ask_market(call, "market.price_at", crm::JsonObject().field("symbol", symbol).field("at", at).str());
  return answer ? point_of(**answer) : std::nullopt;
}

std::optional<PricePoint> require_instrument(crm::Call& call, const std::string& symbol, const std::string& field) {
  // A symbol with a price is an instrument: one small question in the usual case.
  if (auto latest = latest_price(call, symbol)) return latest;
  const auto answer = ask_market(call, "market.instruments", "{}");
  const auto items = answer ? (*answer)->getArray("items") : nullptr;
  if (items)
    for (unsigned i = 0; i < items->size(); ++i) {
      const auto item = items->getObject(i);
      if (item && item->optValue<std::string>("symbol", "") == symbol) return std::nullopt;
    }
  throw crm::invalid(field, "is not a known instrument");
}

} // namespace alerts
