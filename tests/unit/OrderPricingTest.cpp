// OrderPricing (plugins/orders): how an order reads inventory.price's answer,
// fed here with what the inventory plugin may answer (a stand-in for it,
// pure data): prices taken line by line, its field errors kept on the
// caller's paths, and an inventory that is missing, down or answering
// nonsense turned into 503 rather than trusted.
#include "orders/OrderPricing.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using orders::OrderedItem;
using orders::priced_from_answer;

namespace {

const std::vector<OrderedItem> kTwoLines{{"P-1", 2}, {"P-2", 1}};

const std::string kPriced = R"({"items":[
  {"sku":"P-1","name":"Premium Widget","quantity":2,"price":"29.99","lineTotal":"59.98"},
  {"sku":"P-2","name":"Deluxe Gadget","quantity":1,"price":"49.99","lineTotal":"49.99"}],
  "total":"109.97","currency":"USD"})";

crm_status status_of(const std::vector<OrderedItem>& items, crm_status status, const std::string& body) {
  try {
    priced_from_answer(items, status, body);
  } catch (const crm::Error& e) {
    return e.status();
  }
  return CRM_OK;
}

} // namespace

TEST_CASE("an order's lines take inventory's prices, names and currency in the order sent", "[orders][pricing]") {
  const auto priced = priced_from_answer(kTwoLines, CRM_OK, kPriced);
  REQUIRE(priced.lines.size() == 2);
  CHECK(priced.lines[0].sku == "P-1");
  CHECK(priced.lines[0].name == "Premium Widget");
  CHECK(priced.lines[0].price == "29.99");
  CHECK(priced.lines[0].quantity == 2);
  CHECK(priced.lines[1].price == "49.99");
  CHECK(priced.currency == "USD");
  CHECK(orders::price_request(kTwoLines) == R"({"items":[{"sku":"P-1","quantity":2},{"sku":"P-2","quantity":1}]})");
}

TEST_CASE("inventory's refusals of a line are the order's 422s on the same field paths", "[orders][pricing]") {
  const std::string problem = R"({"type":"about:blank","title":"Unprocessable Content","status":422,
    "detail":"validation failed","errors":[{"field":"items[1].sku","message":"is not a product"}]})";
  try {
    priced_from_answer(kTwoLines, CRM_E_INVALID, problem);
    FAIL("no error");
  } catch (const crm::Error& e) {
    CHECK(e.status() == CRM_E_INVALID);
    REQUIRE(e.fields().size() == 1);
    CHECK(e.fields()[0].first == "items[1].sku");
    CHECK(e.fields()[0].second == "is not a product");
  }
  // A refusal without field errors (mixed currencies) is on `items`.
  try {
    priced_from_answer(kTwoLines, CRM_E_INVALID, R"({"status":422,"detail":"the items are in different currencies"})");
    FAIL("no error");
  } catch (const crm::Error& e) {
    REQUIRE(e.fields().size() == 1);
    CHECK(e.fields()[0].first == "items");
  }
}

TEST_CASE("an inventory that is missing, down or answers nonsense makes the order 503", "[orders][pricing]") {
  CHECK(status_of(kTwoLines, CRM_E_NO_OPERATION, "") == CRM_E_UNAVAILABLE);
  CHECK(status_of(kTwoLines, CRM_E_UNAVAILABLE, R"({"detail":"database down"})") == CRM_E_UNAVAILABLE);
  CHECK(status_of(kTwoLines, CRM_E_INTERNAL, R"({"detail":"boom"})") == CRM_E_UNAVAILABLE);
  // One line short, another sku, a price that is no amount, a bad currency.
  CHECK(status_of({{"P-1", 2}}, CRM_OK, kPriced) == CRM_E_UNAVAILABLE);
  CHECK(status_of({{"P-9", 2}, {"P-2", 1}}, CRM_OK, kPriced) == CRM_E_UNAVAILABLE);
  std::string no_amount = kPriced;
  no_amount.replace(no_amount.find("\"29.99\""), 7, "29.99");
  CHECK(status_of(kTwoLines, CRM_OK, no_amount) == CRM_E_UNAVAILABLE);
  std::string bad_currency = kPriced;
  bad_currency.replace(bad_currency.find("\"USD\""), 5, "\"usd\"");
  CHECK(status_of(kTwoLines, CRM_OK, bad_currency) == CRM_E_UNAVAILABLE);
  CHECK(status_of(kTwoLines, CRM_OK, "not json") == CRM_E_UNAVAILABLE);
}
