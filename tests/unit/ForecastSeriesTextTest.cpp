// SeriesText (plugins/forecast): the times and replies the plugin reads from
// the market plugin, and the numbers it writes.
#include "forecast/SeriesText.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace forecast;

TEST_CASE("RFC 3339 UTC times read as Unix milliseconds and back", "[forecast][series]") {
  CHECK(*utc_ms("1970-01-01T00:00:00Z") == 0);
  CHECK(*utc_ms("2026-12-07T16:00:00.25Z") == 1796659200250LL);
  CHECK(*utc_ms("2026-12-07T18:00:00.250+02:00") == 1796659200250LL);
  CHECK(*utc_ms("2026-12-07T16:00:00.123456Z") == 1796659200123LL);
  CHECK(iso_of_ms(1796659200250LL) == "2026-12-07T16:00:00.250Z");
  CHECK(iso_of_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(*utc_ms(iso_of_ms(951782400000LL)) == 951782400000LL); // 2000-02-29
  CHECK_FALSE(utc_ms("2026-12-07 16:00:00Z"));
  CHECK_FALSE(utc_ms("2026-12-07T16:00:00"));
  CHECK_FALSE(utc_ms("2026-13-07T16:00:00Z"));
  CHECK_FALSE(utc_ms("2026-12-07T16:00:00.Z"));
  CHECK_FALSE(utc_ms("2026-12-07T16:00:00Zjunk"));
  CHECK_FALSE(utc_ms(""));
}

TEST_CASE("market.history's reply reads as points, the latest max_points of them", "[forecast][series]") {
  const std::string reply = R"({"items":[{"at":"2026-12-07T16:00:00Z","price":10.5,"volume":1},
    {"at":"2026-12-07T16:01:00Z","price":"11","volume":null},{"at":"2026-12-07T16:02:00Z","price":12}]})";
  const auto all = points_of_history(reply, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].price == 10.5);
  CHECK(all[1].price == 11);
  CHECK(all[2].at_ms - all[0].at_ms == 120000);
  const auto last_two = points_of_history(reply, 2);
  REQUIRE(last_two.size() == 2);
  CHECK(last_two[0].price == 11);
  CHECK_THROWS_AS(points_of_history("[]", 10), MethodError);
  CHECK_THROWS_AS(points_of_history("not json", 10), MethodError);
  CHECK_THROWS_AS(points_of_history(R"({"items":[{"price":1}]})", 10), MethodError);
}

TEST_CASE("numbers are written to read back the same, and never as NaN", "[forecast][series]") {
  CHECK(std::stod(number_json(0.1 + 0.2)) == 0.1 + 0.2);
  CHECK(number_json(2) == "2");
  CHECK(number_json(std::numeric_limits<double>::quiet_NaN()) == "null");
}
