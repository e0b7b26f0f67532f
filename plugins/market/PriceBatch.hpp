// PriceBatch: a POST /api/market/prices body read into columns, every item's
// shape checked at once: what needs no database (a symbol's spelling, an
// RFC 3339 time, a finite positive price, a volume >= 0). Each bad item's
// field is named by its path ("prices[17].price"). Pure: unit-tested alone.
#pragma once

#include <Poco/JSON/Array.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace market {

// The most points one call may carry.
inline constexpr std::size_t kMaxBatchPoints = 10000;

struct FieldError {
  std::size_t item; // the item's place in the batch
  std::string field, message;
};

// The batch as PostgreSQL array literals, one per column, in the items'
// order: what the one unnest() insert binds. Symbols and RFC 3339 times hold
// no character an array literal must quote.
struct PriceColumns {
  std::string symbols = "{", times = "{", prices = "{", volumes = "{";
  std::vector<std::size_t> items; // row r is the batch's item items[r]
  std::size_t size() const { return items.size(); }
};

// The items of good shape go into the columns, so that the database's
// checks (known symbols, times not too far ahead) name their bad items too.
struct PriceBatch {
  PriceColumns columns;
  std::vector<FieldError> errors; // empty when every item has a good shape
};

// A symbol: 1..32 of A-Z a-z 0-9 . _ -
bool is_symbol(std::string_view text);

// Reads every item of `prices`; the caller has checked it is an array of at
// most kMaxBatchPoints items.
PriceBatch read_price_batch(const Poco::JSON::Array& prices);

// The same from the input's raw text, with no tree: for a batch whose every
// item is of good shape and plainly written (no escapes, no repeated keys,
// volume a number or null), the columns read_price_batch would give;
// nullopt for anything else (then read_price_batch names what is wrong).
// A 10,000-point batch reads several times faster this way.
std::optional<PriceColumns> scan_price_batch(std::string_view input_json);

// The field path of item `index`'s `key`: "prices[17].price".
std::string item_field(std::size_t index, std::string_view key);

} // namespace market
