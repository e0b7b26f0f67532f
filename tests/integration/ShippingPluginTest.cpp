// The shipping plugin on a real host (auth and shipping loaded): a shipment
// per order, created and cancelled idempotently by the order saga (driven
// here by one-step sagas started through POST /api/sagas), with a unique
// tracking number and the configured carrier; delivery by an ADMIN,
// announced once; refused transitions answered 409.
#include "support/ShopHost.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

using namespace itest;

namespace {

const char* kAddress = R"("address":{"name":"Ada","line1":"1 Row","city":"London","postalCode":"N1","country":"GB"})";

std::string ship_input(const std::string& order) { return R"({"orderId":")" + order + "\"," + kAddress + "}"; }
std::string order_input(const std::string& order) { return R"({"orderId":")" + order + "\"}"; }

Poco::JSON::Object::Ptr event_data(ShopHost& h, const std::string& type, const std::string& order) {
  Poco::JSON::Parser parser;
  auto text = h.sql().scalar("select data::text from shipping.crm_outbox where type = $1 and subject = $2", {type, order});
  return parser.parse(*text).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

TEST_CASE("a shipment is created once per order with a unique tracking number and the configured carrier",
          "[shipping]") {
  ShopHost h({"shipping"}, {"plugin.shipping.carrier = Parcel Owl"});
  const std::string order = random_uuid();

  auto first = h.run("t_ship", ship_input(order));
  REQUIRE(first.status == "COMPLETED");
  const std::string tracking = text_of(first.reply, "trackingNumber");
  CHECK(!tracking.empty());
  CHECK(text_of(first.reply, "carrier") == "Parcel Owl");
  CHECK(text_of(first.reply, "status") == "CREATED");
  CHECK(text_of(first.reply, "orderId") == order);

  auto again = h.run("t_ship", ship_input(order));
  REQUIRE(again.status == "COMPLETED");
  CHECK(text_of(again.reply, "trackingNumber") == tracking);
  CHECK(h.sql().count("select count(*) from shipping.shipments where order_id = $1", {order}) == 1);
  CHECK(h.events("shipping", "shipment.created", order) == 1);
  CHECK(text_of(event_data(h, "shipment.created", order), "trackingNumber") == tracking);

  // shipping.get: the shipment, or NOT_FOUND.
  auto got = h.run("t_shipment", order_input(order));
  REQUIRE(got.status == "COMPLETED");
  CHECK(text_of(got.reply, "trackingNumber") == tracking);
  CHECK(text_of(got.reply->getObject("address"), "city") == "London");
  auto missing = h.run("t_shipment", order_input(random_uuid()));
  CHECK(missing.status != "COMPLETED");
  CHECK(contains(missing.error, "not found"));

  auto other = h.run("t_ship", ship_input(random_uuid()));
  CHECK(text_of(other.reply, "trackingNumber") != tracking);

  // An address without a city is refused and writes nothing.
  const std::string bad = random_uuid();
  auto refused = h.run("t_ship", R"({"orderId":")" + bad +
                                     R"(","address":{"name":"Ada","line1":"1 Row","postalCode":"N1","country":"GB"}})");
  CHECK(refused.status != "COMPLETED");
  CHECK(contains(refused.error, "address.city"));
  CHECK(h.sql().count("select count(*) from shipping.shipments where order_id = $1", {bad}) == 0);
}

TEST_CASE("an ADMIN marks a shipment delivered once, a cancelled one cannot be delivered, nor a delivered one cancelled",
          "[shipping]") {
  ShopHost h({"shipping"});
  const Account sales = h.auth().create_user("SALES");
  const std::string order = random_uuid();
  const std::string tracking = text_of(h.run("t_ship", ship_input(order)).reply, "trackingNumber");
  CHECK(text_of(h.run("t_ship", ship_input(order)).reply, "carrier") == "LocalPost");

  require_problem(h.as(sales, "POST", "/api/shipments/" + tracking + "/delivered"), 403);
  require_problem(h.as(h.admin(), "POST", "/api/shipments/TRKNOSUCHONE/delivered"), 404);
  auto delivered = h.as(h.admin(), "POST", "/api/shipments/" + tracking + "/delivered");
  INFO(delivered.body);
  REQUIRE(delivered.status == 200);
  CHECK(text_of(delivered.json(), "status") == "DELIVERED");
  CHECK(!text_of(delivered.json(), "deliveredAt").empty());
  auto twice = h.as(h.admin(), "POST", "/api/shipments/" + tracking + "/delivered");
  CHECK(twice.status == 200);
  CHECK(twice.body == delivered.body);
  CHECK(h.events("shipping", "shipment.delivered", order) == 1);
  auto data = event_data(h, "shipment.delivered", order);
  CHECK(text_of(data, "orderId") == order);
  CHECK(text_of(data, "trackingNumber") == tracking);
  CHECK(text_of(data, "carrier") == "LocalPost");
  // Delivered: its cancellation is refused, for good.
  auto late = h.run("t_unship", order_input(order));
  CHECK(late.status != "COMPLETED");
  CHECK(h.events("shipping", "shipment.cancelled", order) == 0);

  // Cancelled (twice: once), then neither delivered nor created again.
  const std::string other = random_uuid();
  const std::string other_tracking = text_of(h.run("t_ship", ship_input(other)).reply, "trackingNumber");
  CHECK(text_of(h.run("t_unship", order_input(other)).reply, "status") == "CANCELLED");
  CHECK(text_of(h.run("t_unship", order_input(other)).reply, "status") == "CANCELLED");
  CHECK(h.events("shipping", "shipment.cancelled", other) == 1);
  require_problem(h.as(h.admin(), "POST", "/api/shipments/" + other_tracking + "/delivered"), 409);
  CHECK(h.run("t_ship", ship_input(other)).status != "COMPLETED");
  CHECK(h.events("shipping", "shipment.delivered", other) == 0);

  // Nothing to cancel: NONE, and nothing written.
  const std::string never = random_uuid();
  CHECK(text_of(h.run("t_unship", order_input(never)).reply, "status") == "NONE");
  CHECK(h.sql().count("select count(*) from shipping.shipments where order_id = $1", {never}) == 0);
}
