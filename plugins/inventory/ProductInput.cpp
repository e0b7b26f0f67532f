// ProductInput: see the header.
#include "ProductInput.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <optional>

namespace inventory {

namespace {

// "123", "123.4" or "123.45": up to 10 integer digits, up to 2 decimals.
bool is_money_text(std::string_view s) {
  const size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 10) return false;
  if (!std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  if (dot == std::string_view::npos) return true;
  const std::string_view cents = s.substr(dot + 1);
  return !cents.empty() && cents.size() <= 2 &&
         std::all_of(cents.begin(), cents.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0' || c == '.'; });
}

} // namespace

std::optional<std::string> optional_price(const crm::Input& in, const std::string& key) {
  if (!in.has(key)) return std::nullopt;
  const auto value = in.object().get(key);
  if (!value.isString() && !value.isNumeric())
    throw crm::invalid(key, "must be a decimal amount such as \"29.99\"");
  const std::string text = value.toString();
  if (!is_money_text(text)) throw crm::invalid(key, "must be a decimal amount with at most two decimals");
  if (is_zero(text)) throw crm::invalid(key, "must be greater than 0");
  return text;
}

bool is_sku(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::vector<Line> read_lines(const crm::Input& in) {
  if (!in.has("items")) throw crm::invalid("items", "is required");
  const auto array = in.object().getArray("items");
  if (!array) {
    // From a Lua workflow an empty list arrives as {}.
    const auto object = in.object().getObject("items");
    if (object && object->size() == 0) throw crm::invalid("items", "must hold at least one line");
    throw crm::invalid("items", "must be an array of {sku, quantity}");
  }
  if (array->size() == 0) throw crm::invalid("items", "must hold at least one line");
  if (array->size() > kMaxLines) throw crm::invalid("items", "must hold at most " + std::to_string(kMaxLines) + " lines");

  std::vector<Line> lines;
  std::optional<crm::Error> failed;
  auto fail = [&](const std::string& field, const std::string& message) {
    if (!failed) failed.emplace(CRM_E_INVALID, "validation failed");
    failed->field(field, message);
  };
  for (size_t i = 0; i < array->size(); ++i) {
    const std::string path = "items[" + std::to_string(i) + "]";
    const auto line = array->getObject(static_cast<unsigned>(i));
    if (!line) {
      fail(path, "must be an object {sku, quantity}");
      continue;
    }
    Line l;
    l.index = i;
    const auto sku = line->get("sku");
    if (sku.isEmpty() || !sku.isString() || !is_sku(sku.toString()))
      fail(path + ".sku", "must be a SKU of 1 to 64 letters, digits, '.', '_' or '-'");
    else
      l.sku = sku.toString();
    const auto quantity = line->get("quantity");
    if (quantity.isEmpty() || !quantity.isInteger()) {
      fail(path + ".quantity", "must be an integer");
    } else {
      l.quantity = quantity.convert<std::int64_t>();
      if (l.quantity < 1 || l.quantity > kMaxQuantity)
        fail(path + ".quantity", "must be from 1 to " + std::to_string(kMaxQuantity));
    }
    lines.push_back(std::move(l));
  }
  if (failed) throw *failed;
  return lines;
}

std::vector<Line> merged_by_sku(const std::vector<Line>& lines) {
  std::map<std::string, Line> by_sku;
  for (const auto& l : lines) {
    auto [it, fresh] = by_sku.emplace(l.sku, l);
    if (!fresh) it->second.quantity += l.quantity;
  }
  std::vector<Line> out;
  out.reserve(by_sku.size());
  for (auto& [sku, l] : by_sku) out.push_back(std::move(l));
  return out;
}

std::string lines_json(const std::vector<Line>& lines) {
  std::string out = "[";
  for (const auto& l : lines) {
    if (out.size() > 1) out.push_back(',');
    out += crm::JsonObject().field("sku", l.sku).field("quantity", l.quantity).str();
  }
  return out + "]";
}

} // namespace inventory
