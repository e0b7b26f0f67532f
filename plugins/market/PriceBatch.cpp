// PriceBatch: see the header.
#include "PriceBatch.hpp"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <crm/sdk/json_scan.hpp>
#include <crm/sdk/text_rules.hpp>
#include <optional>

namespace market {

namespace {

// A JSON number, or a decimal written as a string ("12.5"); nullopt for
// anything else. Non-finite values come back as they are, for the caller to
// refuse ("NaN", "Infinity" and 1e400 are not prices).
std::optional<double> number_of(const Poco::Dynamic::Var& value) {
  if (value.isString()) {
    const std::string text = value.toString();
    double out = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (text.empty() || end != text.data() + text.size()) return std::nullopt;
    if (ec == std::errc::result_out_of_range) return HUGE_VAL;
    if (ec != std::errc()) return std::nullopt;
    return out;
  }
  if (value.isNumeric() && !value.isBoolean()) return value.convert<double>();
  return std::nullopt;
}

// The shortest text that reads back as the same double.
void append_number(std::string& out, double v) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, result.ptr);
}

void separate(PriceColumns& c) {
  if (c.items.empty()) return;
  c.symbols.push_back(',');
  c.times.push_back(',');
  c.prices.push_back(',');
  c.volumes.push_back(',');
}

} // namespace

bool is_symbol(std::string_view text) {
  if (text.empty() || text.size() > 32) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::string item_field(std::size_t index, std::string_view key) {
  std::string path = "prices[" + std::to_string(index) + "]";
  if (!key.empty()) path.append(".").append(key);
  return path;
}

PriceBatch read_price_batch(const Poco::JSON::Array& prices) {
  PriceBatch batch;
  auto& c = batch.columns;
  c.symbols.reserve(prices.size() * 8);
  c.times.reserve(prices.size() * 26);
  c.prices.reserve(prices.size() * 10);
  c.volumes.reserve(prices.size() * 8);
  auto fail = [&](std::size_t i, std::string_view key, std::string message) {
    batch.errors.push_back({i, item_field(i, key), std::move(message)});
  };
  for (std::size_t i = 0; i < prices.size(); ++i) {
    const auto item = prices.getObject(static_cast<unsigned>(i));
    if (!item) {
      fail(i, "", "must be an object {symbol, at, price, volume?}");
      continue;
    }
    for (const auto& [key, value] : *item)
      if (key != "symbol" && key != "at" && key != "price" && key != "volume")
        fail(i, key, "is not a field of a price");
    const std::size_t errors_before = batch.errors.size();
    const auto symbol = item->get("symbol");
    if (!symbol.isString() || !is_symbol(symbol.toString()))
      fail(i, "symbol", "must be a symbol of 1 to 32 letters, digits, '.', '_' or '-'");
    const auto at = item->get("at");
    if (!at.isString() || !crm::is_rfc3339(at.toString()))
      fail(i, "at", "must be an RFC 3339 date-time such as 2026-01-31T09:30:00Z");
    const auto price = number_of(item->get("price"));
    if (!price || !std::isfinite(*price) || *price <= 0) fail(i, "price", "must be a finite number greater than 0");
    std::optional<double> volume;
    if (item->has("volume") && !item->isNull("volume")) {
      volume = number_of(item->get("volume"));
      if (!volume || !std::isfinite(*volume) || *volume < 0) fail(i, "volume", "must be a finite number of 0 or more");
    }
    if (batch.errors.size() != errors_before) continue;

    separate(c);
    c.symbols += symbol.toString();
    c.times += at.toString();
    append_number(c.prices, *price);
    if (volume)
      append_number(c.volumes, *volume);
    else
      c.volumes += "NULL";
    c.items.push_back(i);
  }
  c.symbols.push_back('}');
  c.times.push_back('}');
  c.prices.push_back('}');
  c.volumes.push_back('}');
  return batch;
}

std::optional<PriceColumns> scan_price_batch(std::string_view input_json) {
  namespace scan = crm::json_scan;
  // Only "prices" at the top: anything else goes the long way (the schema
  // refuses other members before the handler runs).
  bool other_member = false;
  std::string_view items;
  if (!scan::each_member(input_json, [&](std::string_view key, std::string_view value) {
        if (key != "prices" || !items.empty()) other_member = true;
        items = value;
        return !other_member;
      }))
    return std::nullopt;
  PriceColumns c;
  c.symbols.reserve(items.size() / 6);
  c.times.reserve(items.size() / 3);
  c.prices.reserve(items.size() / 8);
  c.volumes.reserve(items.size() / 8);
  // A JSON number as written, or a decimal in a plain string; finite only.
  auto number = [](std::string_view raw, double& out) {
    if (raw.size() >= 2 && raw.front() == '"') raw = raw.substr(1, raw.size() - 2);
    if (raw.empty() || raw.find('\\') != std::string_view::npos) return false;
    const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), out);
    return ec == std::errc() && end == raw.data() + raw.size() && std::isfinite(out);
  };
  const bool complete = scan::each_element(items, [&](std::string_view item) {
    std::optional<std::string_view> symbol, at;
    double price = 0, volume = 0;
    bool has_price = false, has_volume = false, seen_volume = false;
    const bool plain = scan::each_member(item, [&](std::string_view key, std::string_view value) {
      if (key == "symbol" && !symbol) {
        symbol = scan::plain_string(value);
        return symbol && is_symbol(*symbol);
      }
      if (key == "at" && !at) {
        at = scan::plain_string(value);
        return at && crm::is_rfc3339(*at);
      }
      if (key == "price" && !has_price) {
        has_price = number(value, price) && price > 0;
        return has_price;
      }
      if (key == "volume" && !seen_volume) {
        seen_volume = true;
        if (value == "null") return true;
        has_volume = number(value, volume) && volume >= 0;
        return has_volume;
      }
      return false; // an unknown or repeated key
    });
    if (!plain || !symbol || !at || !has_price) return false;
    separate(c);
    c.symbols += *symbol;
    c.times += *at;
    append_number(c.prices, price);
    if (has_volume)
      append_number(c.volumes, volume);
    else
      c.volumes += "NULL";
    c.items.push_back(c.items.size());
    return c.items.size() <= kMaxBatchPoints;
  });
  if (!complete || c.items.empty()) return std::nullopt;
  c.symbols.push_back('}');
  c.times.push_back('}');
  c.prices.push_back('}');
  c.volumes.push_back('}');
  return c;
}

} // namespace market
