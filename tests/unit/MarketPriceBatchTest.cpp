// PriceBatch (plugins/market): a batch of prices read into the column arrays
// the one insert binds, every bad item named on its path at once, good items
// still in the columns (for the database's checks) with their item numbers.
#include "market/PriceBatch.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <string>
#include <vector>

namespace {

market::PriceBatch read(const std::string& items_json) {
  Poco::JSON::Parser parser;
  auto array = parser.parse("[" + items_json + "]").extract<Poco::JSON::Array::Ptr>();
  return market::read_price_batch(*array);
}

std::vector<std::string> fields_of(const market::PriceBatch& batch) {
  std::vector<std::string> out;
  for (const auto& e : batch.errors) out.push_back(e.field);
  return out;
}

} // namespace

TEST_CASE("good prices become PostgreSQL array literals in the items' order", "[market]") {
  auto batch = read(R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":10.25,"volume":100},
                       {"symbol":"BRK.B","at":"2026-01-05T10:00:00.5+01:00","price":"0.1"},
                       {"symbol":"X_1-2","at":"2026-01-05T10:01:00Z","price":3,"volume":"0"})");
  CHECK(batch.errors.empty());
  CHECK(batch.columns.symbols == "{ACME,BRK.B,X_1-2}");
  CHECK(batch.columns.times == "{2026-01-05T10:00:00Z,2026-01-05T10:00:00.5+01:00,2026-01-05T10:01:00Z}");
  CHECK(batch.columns.prices == "{10.25,0.1,3}");
  CHECK(batch.columns.volumes == "{100,NULL,0}");
  CHECK(batch.columns.items == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("every bad item is named on its field path and the good ones keep their numbers", "[market]") {
  auto batch = read(R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1},
                       {"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":0},
                       {"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":"NaN","volume":-1},
                       {"symbol":"ACME","at":"2026-02-30T10:00:00Z","price":"inf"},
                       {"symbol":"","at":"2026-01-05T10:00:00Z","price":"1e400"},
                       [1,2],
                       {"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":true,"note":"x"},
                       {"symbol":"ACME","at":"2026-01-05T10:02:00Z","price":2})");
  CHECK(fields_of(batch) == std::vector<std::string>{"prices[1].price", "prices[2].price", "prices[2].volume",
                                                     "prices[3].at", "prices[3].price", "prices[4].symbol",
                                                     "prices[4].price", "prices[5]", "prices[6].note",
                                                     "prices[6].price"});
  for (const auto& e : batch.errors) CHECK_FALSE(e.message.empty());
  CHECK(batch.errors[0].item == 1);
  CHECK(batch.columns.items == std::vector<std::size_t>{0, 7});
  CHECK(batch.columns.symbols == "{ACME,ACME}");
}

TEST_CASE("a symbol is 1 to 32 letters, digits, dots, underscores or dashes", "[market]") {
  CHECK(market::is_symbol("A"));
  CHECK(market::is_symbol("BRK.B"));
  CHECK(market::is_symbol(std::string(32, 'Z')));
  CHECK_FALSE(market::is_symbol(""));
  CHECK_FALSE(market::is_symbol(std::string(33, 'Z')));
  CHECK_FALSE(market::is_symbol("A B"));
  CHECK_FALSE(market::is_symbol("A,B"));
  CHECK_FALSE(market::is_symbol("{A}"));
  CHECK(market::item_field(17, "price") == "prices[17].price");
  CHECK(market::item_field(3, "") == "prices[3]");
}

TEST_CASE("a plainly good batch is read from its text into the same columns as from its tree", "[market]") {
  const std::string items = R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":10.25,"volume":100},
                       {"symbol":"BRK.B","at":"2026-01-05T10:00:00.5+01:00","price":"0.1"},
                       {"volume":null, "price":3e2, "at":"2026-01-05T10:01:00Z", "symbol":"X_1-2"},
                       {"symbol":"X_1-2","at":"2026-01-05T10:02:00Z","price":3,"volume":"0"})";
  const auto scanned = market::scan_price_batch("{ \"prices\": [" + items + "] }");
  REQUIRE(scanned);
  const auto tree = read(items);
  REQUIRE(tree.errors.empty());
  CHECK(scanned->symbols == tree.columns.symbols);
  CHECK(scanned->times == tree.columns.times);
  CHECK(scanned->prices == tree.columns.prices);
  CHECK(scanned->volumes == tree.columns.volumes);
  CHECK(scanned->items == tree.columns.items);
}

TEST_CASE("a batch with anything unplain is left to the tree, which names it", "[market]") {
  const std::string good = R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1})";
  for (const std::string bad :
       {R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":0})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":"NaN"})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":"inf"})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1e400})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":true})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1,"volume":-1})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1,"note":"x"})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z","price":1,"price":2})",
        R"({"symbol":"AC\u004dE","at":"2026-01-05T10:00:00Z","price":1})",
        R"({"symbol":"ACME","at":"2026-02-30T10:00:00Z","price":1})",
        R"({"symbol":"ACME","at":"2026-01-05T10:00:00Z"})", R"([1,2])", R"("x")"}) {
    INFO(bad);
    CHECK_FALSE(market::scan_price_batch("{\"prices\":[" + good + "," + bad + "]}"));
  }
  CHECK(market::scan_price_batch("{\"prices\":[" + good + "]}"));
  CHECK_FALSE(market::scan_price_batch("{\"prices\":[]}"));
  CHECK_FALSE(market::scan_price_batch("{\"prices\":[" + good + "],\"extra\":1}"));
  CHECK_FALSE(market::scan_price_batch("{\"prices\":{}}"));
  std::string many = "{\"prices\":[" + good;
  for (std::size_t i = 1; i <= market::kMaxBatchPoints; ++i) many += "," + good;
  CHECK_FALSE(market::scan_price_batch(many + "]}"));
}
