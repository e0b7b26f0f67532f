// ProductInput: the checks on what callers send about products that the
// operations' input schemas cannot make (a price's decimals, the lines of an
// order), each failing with crm::invalid on the field's path.
#pragma once

#include <crm/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventory {

// The largest quantity one line or one restock may move.
inline constexpr std::int64_t kMaxQuantity = 1000000;
// The most lines one order may have.
inline constexpr size_t kMaxLines = 100;

// A price: a JSON string or number, greater than 0, at most two decimals and
// below 10^10; returned as the decimal text ("29.99"). nullopt when absent.
std::optional<std::string> optional_price(const crm::Input& in, const std::string& key);

// A SKU as the catalogue spells it: 1..64 of A-Z a-z 0-9 . _ -
bool is_sku(std::string_view text);

struct Line {
  std::string sku;
  std::int64_t quantity = 0;
  size_t index = 0; // the line's place in the input, for field paths
};

// items: [{sku, quantity 1..kMaxQuantity}], 1..kMaxLines lines; every bad
// line is reported at once ("items[2].quantity").
std::vector<Line> read_lines(const crm::Input& in);

// The same lines with one line per SKU (quantities added), in SKU order: the
// order in which rows are locked, so two reservations never wait on each
// other crosswise.
std::vector<Line> merged_by_sku(const std::vector<Line>& lines);

// [{"sku","quantity"}...] as JSON text.
std::string lines_json(const std::vector<Line>& lines);

} // namespace inventory
