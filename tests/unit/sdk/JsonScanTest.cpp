// Tests of crm/sdk/json_scan.hpp: members read from JSON text in place.
#include <crm/sdk/json_scan.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using crm::json_scan::member;
using crm::json_scan::plain_string;

TEST_CASE("a member's raw text is found past nested values", "[sdk][json-scan]") {
  const std::string_view o = R"({"a": {"id": "inner"}, "s": "x,}]", "id" : "outer", "n": -1.5e3, "t": [1, [2]]})";
  CHECK(*member(o, "id") == "\"outer\"");
  CHECK(*member(o, "n") == "-1.5e3");
  CHECK(*member(o, "t") == "[1, [2]]");
  CHECK(*plain_string(*member(o, "s")) == "x,}]");
  CHECK_FALSE(member(o, "missing"));
}

TEST_CASE("malformed text reads as absent, never as a wrong value", "[sdk][json-scan]") {
  CHECK_FALSE(member(R"({"id": "x")", "id"));
  CHECK_FALSE(member(R"(["id", "x"])", "id"));
  CHECK_FALSE(member(R"({"id" "x"})", "id"));
  CHECK_FALSE(plain_string(R"("has \" escape")"));
  CHECK_FALSE(plain_string("42"));
}

TEST_CASE("the plain strings of an array are visited in order", "[sdk][json-scan]") {
  std::vector<std::string> seen;
  crm::json_scan::any_string(R"(["a", 1, {"b": 2}, "c"])", [&](std::string_view s) {
    seen.emplace_back(s);
    return false;
  });
  CHECK(seen == std::vector<std::string>{"a", "c"});
}
