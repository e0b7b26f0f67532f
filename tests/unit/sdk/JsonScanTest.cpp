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

TEST_CASE("each element and each member are visited in order, raw, until told to stop", "[sdk][json-scan]") {
  std::vector<std::string> elements;
  CHECK(crm::json_scan::each_element(R"( [ "a", 1 , {"b": [2]}, [] ] )", [&](std::string_view e) {
    elements.emplace_back(e);
    return true;
  }));
  CHECK(elements == std::vector<std::string>{"\"a\"", "1", "{\"b\": [2]}", "[]"});
  CHECK(crm::json_scan::each_element("[]", [](std::string_view) { return false; }));
  CHECK_FALSE(crm::json_scan::each_element("[1, 2]", [](std::string_view e) { return e != "2"; }));
  CHECK_FALSE(crm::json_scan::each_element("[1 2]", [](std::string_view) { return true; }));
  CHECK_FALSE(crm::json_scan::each_element("{}", [](std::string_view) { return true; }));

  std::vector<std::string> members;
  CHECK(crm::json_scan::each_member(R"({"k": "v", "e\"q": [1, {"x": 2}] , "n":null})",
                                    [&](std::string_view k, std::string_view v) {
                                      members.emplace_back(std::string(k) + "=" + std::string(v));
                                      return true;
                                    }));
  CHECK(members == std::vector<std::string>{"k=\"v\"", "e\\\"q=[1, {\"x\": 2}]", "n=null"});
  CHECK(crm::json_scan::each_member(" { } ", [](std::string_view, std::string_view) { return false; }));
  CHECK_FALSE(crm::json_scan::each_member(R"({"a": 1,})", [](std::string_view, std::string_view) { return true; }));
  CHECK_FALSE(crm::json_scan::each_member("[1]", [](std::string_view, std::string_view) { return true; }));
}
