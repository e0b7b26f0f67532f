// MarketReads: see the header.
#include "MarketReads.hpp"
#include "SeriesText.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace forecast {

namespace {

Poco::JSON::Object::Ptr object_of(const std::string& body) {
  try {
    return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  }
}

// A peer's refusal as ours: its status, detail and field errors.
crm::Error refusal_of(const std::string& operation, const crm::InvokeResult& r) {
  if (r.status == CRM_E_NO_OPERATION)
    return crm::Error(CRM_E_UNAVAILABLE, operation + " is not offered: is the market plugin loaded?");
  crm::Error e(r.status, r.detail().empty() ? operation + " failed" : r.detail());
  for (const auto& [field, message] : r.errors()) e.field(field, message);
  return e;
}

// Strings of an array member, skipping what is not a string.
std::vector<std::string> strings_of(const Poco::JSON::Array::Ptr& array, const char* member) {
  std::vector<std::string> out;
  if (!array) return out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto v =
        member ? (array->getObject(static_cast<unsigned>(i)) ? array->getObject(static_cast<unsigned>(i))->get(member)
                                                             : Poco::Dynamic::Var())
               : array->get(static_cast<unsigned>(i));
    if (v.isString()) out.push_back(v.toString());
  }
  return out;
}

} // namespace

std::vector<std::string> symbols_to_forecast(crm::Call& call) {
  const crm::InvokeResult watched = call.invoke_result("alerts.watched_symbols", "{}");
  if (watched.ok()) {
    const auto answer = object_of(watched.body);
    return strings_of(answer ? answer->getArray("symbols") : nullptr, nullptr);
  }
  if (watched.status != CRM_E_NO_OPERATION) throw refusal_of("alerts.watched_symbols", watched);
  const crm::InvokeResult instruments = call.invoke_result("market.instruments", "{}");
  if (!instruments.ok()) throw refusal_of("market.instruments", instruments);
  const auto answer = object_of(instruments.body);
  return strings_of(answer ? answer->getArray("items") : nullptr, "symbol");
}

std::vector<Point> history(crm::Call& call, const std::string& symbol, std::int64_t from_ms, std::int64_t to_ms,
                           std::size_t max_points) {
  const std::string input =
      crm::JsonObject().field("symbol", symbol).field("from", iso_of_ms(from_ms)).field("to", iso_of_ms(to_ms)).str();
  const crm::InvokeResult r = call.invoke_result("market.history", input);
  if (!r.ok()) throw refusal_of("market.history", r);
  try {
    return points_of_history(r.body, max_points);
  } catch (const MethodError& e) {
    throw crm::Error(CRM_E_UNAVAILABLE, e.what());
  }
}

std::optional<double> price_at(crm::Call& call, const std::string& symbol, const std::string& at_iso) {
  const crm::InvokeResult r =
      call.invoke_result("market.price_at", crm::JsonObject().field("symbol", symbol).field("at", at_iso).str());
  if (!r.ok()) return std::nullopt;
  const auto answer = object_of(r.body);
  if (!answer || !answer->has("price")) return std::nullopt;
  try {
    return answer->getValue<double>("price");
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

} // namespace forecast
