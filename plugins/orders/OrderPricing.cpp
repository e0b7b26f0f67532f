// OrderPricing: see the header.
#include "OrderPricing.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <regex>

namespace orders {

namespace {

crm::Error unanswerable() { return crm::Error(CRM_E_UNAVAILABLE, "prices cannot be checked right now"); }

// "29.99": a positive amount with two decimals, as inventory hands it out.
bool is_amount(const std::string& text) {
  static const std::regex kAmount("^[0-9]{1,10}\\.[0-9]{2}$");
  return std::regex_match(text, kAmount);
}

std::string amount_text(const Poco::Dynamic::Var& v) {
  if (v.isString()) return v.toString();
  return {};
}

} // namespace

std::string price_request(const std::vector<OrderedItem>& items) {
  std::string list = "[";
  for (const auto& item : items) {
    if (list.size() > 1) list.push_back(',');
    list += crm::JsonObject().field("sku", item.sku).field("quantity", item.quantity).str();
  }
  return crm::JsonObject().raw("items", list + "]").str();
}

PricedItems priced_from_answer(const std::vector<OrderedItem>& items, crm_status status, const std::string& body) {
  if (status == CRM_E_NO_OPERATION || status == CRM_E_UNAVAILABLE) throw unanswerable();
  if (status == CRM_E_INVALID) {
    // The fields are paths into what we sent, which has the caller's shape:
    // items[i].sku is the caller's items[i].sku.
    crm::Error refused(CRM_E_INVALID, "validation failed");
    crm::InvokeResult answer;
    answer.status = status;
    answer.body = body;
    for (const auto& [field, message] : answer.errors())
      refused.field(field.empty() ? "items" : field, message);
    if (refused.fields().empty()) refused.field("items", answer.detail().empty() ? "cannot be priced" : answer.detail());
    throw refused;
  }
  if (status != CRM_OK) {
    crm::InvokeResult answer;
    answer.status = status;
    answer.body = body;
    throw crm::Error(CRM_E_UNAVAILABLE, "prices cannot be checked right now: " + answer.detail());
  }
  PricedItems out;
  try {
    Poco::JSON::Parser parser;
    auto reply = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
    auto lines = reply->getArray("items");
    out.currency = reply->optValue<std::string>("currency", "");
    if (!lines || lines->size() != items.size()) throw unanswerable();
    for (unsigned i = 0; i < lines->size(); ++i) {
      auto line = lines->getObject(i);
      if (!line) throw unanswerable();
      PricedLine p;
      p.sku = line->optValue<std::string>("sku", "");
      p.name = line->optValue<std::string>("name", p.sku);
      p.quantity = items[i].quantity;
      p.price = line->has("price") ? amount_text(line->get("price")) : std::string();
      if (p.sku != items[i].sku || !is_amount(p.price)) throw unanswerable();
      out.lines.push_back(std::move(p));
    }
  } catch (const Poco::Exception&) {
    throw unanswerable();
  }
  static const std::regex kCurrency("^[A-Z]{3}$");
  if (!std::regex_match(out.currency, kCurrency)) throw unanswerable();
  return out;
}

PricedItems price_items(crm::Call& call, const std::vector<OrderedItem>& items) {
  const crm::InvokeResult answer = call.invoke_result("inventory.price", price_request(items));
  return priced_from_answer(items, answer.status, answer.body);
}

} // namespace orders
