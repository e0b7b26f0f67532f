// Json: crmctl's own JSON value, parser and writer.
#include "Json.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace crmctl;

TEST_CASE("every kind of JSON value is read and written back the same", "[crmctl][json]") {
  const std::string text =
      R"({"id":"u1","n":-12.5e3,"big":9007199254740993,"t":true,"f":false,"z":null,"a":[1,"two",[],{}],"o":{"k":"v"}})";
  auto v = json::parse(text);
  REQUIRE(v.is_object());
  CHECK(v.get("id").scalar_text() == "u1");
  CHECK(v.get("n").is_number());
  CHECK(v.get("n").scalar_text() == "-12.5e3");
  CHECK(json::display(v.get("big")) == "9007199254740993"); // no trip through a double
  CHECK(v.get("t").boolean());
  CHECK(v.get("z").is_null());
  CHECK(v.get("a").size() == 4);
  CHECK(v.get("a").at(1).scalar_text() == "two");
  CHECK(v.get("a").at(9).is_null());
  CHECK(json::write(v, 0) == text);
  CHECK(json::names(v) == std::vector<std::string>{"id", "n", "big", "t", "f", "z", "a", "o"});
}

TEST_CASE("escapes and unicode are decoded and written back as JSON", "[crmctl][json]") {
  auto v = json::parse(R"("a\"b\\c\/d\n\t\u00e9\u20ac\ud83d\ude00")");
  CHECK(v.scalar_text() == "a\"b\\c/d\n\té€😀");
  CHECK(json::write(v) == "\"a\\\"b\\\\c/d\\n\\té€😀\"");
  CHECK(json::parse(R"("\ud800x")").scalar_text() == "\xEF\xBF\xBDx"); // a lone surrogate
  CHECK(json::quote(std::string("\x01", 1)) == "\"\\u0001\"");
}

TEST_CASE("text that is not JSON is refused with where", "[crmctl][json]") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "tru", "01x", "\"open", "{\"a\":1} x", "-", "1.", "\"\x01\""}) {
    INFO(bad);
    CHECK_THROWS_AS(json::parse(bad), std::runtime_error);
  }
  CHECK_THROWS_WITH(json::parse("[1, 2"), Catch::Contains("at byte"));
  CHECK(!json::try_parse_object("[1]"));
  CHECK(!json::try_parse_object("<html>"));
  CHECK(json::try_parse_object(" {\"a\":1} "));
  std::string deep(300, '[');
  CHECK_THROWS_WITH(json::parse(deep), Catch::Contains("too deep"));
}

TEST_CASE("values are built for request bodies", "[crmctl][json]") {
  json::Value body = json::Value::object();
  body.set("email", "a@x.io");
  body.set("active", false);
  body.set("managerId", json::Value());
  body.set("limit", 50);
  body.set("email", "b@x.io"); // replaced in place
  json::Value list = json::Value::array();
  list.push(1);
  list.push("x");
  body.set("list", list);
  CHECK(json::write(body, 0) == R"({"email":"b@x.io","active":false,"managerId":null,"limit":50,"list":[1,"x"]})");
  CHECK(json::write(body, 2) == "{\n  \"email\": \"b@x.io\",\n  \"active\": false,\n  \"managerId\": null,\n"
                                "  \"limit\": 50,\n  \"list\": [\n    1,\n    \"x\"\n  ]\n}");
}
