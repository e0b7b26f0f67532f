// JsonSyntax: telling where malformed JSON goes wrong.
#include "core/JsonSyntax.hpp"

#include <catch2/catch.hpp>

using crm::core::check_json_syntax;
using crm::core::JsonSyntaxError;

TEST_CASE("valid JSON passes") {
  for (const char* s : {R"({"a":1})", R"([1, 2.5e3, -0, "x\u00e9", true, false, null])", " {} ", R"({"a":{"b":[]}})"}) {
    INFO(s);
    CHECK(check_json_syntax(s, nullptr));
  }
}

TEST_CASE("a trailing comma is reported at its line and column") {
  JsonSyntaxError e;
  REQUIRE_FALSE(check_json_syntax("{\n  \"a\": 1,\n}", &e));
  CHECK(e.line == 3);
  CHECK(e.column == 1);
  CHECK_FALSE(e.message.empty());
}

TEST_CASE("unterminated strings, bad literals and junk after the value are errors") {
  JsonSyntaxError e;
  CHECK_FALSE(check_json_syntax(R"({"a": "x)", &e));
  CHECK(e.message.find("unterminated") != std::string::npos);
  CHECK_FALSE(check_json_syntax(R"({"a": tru})", &e));
  CHECK_FALSE(check_json_syntax(R"({"a": 1} x)", &e));
  CHECK(e.column == 10);
  CHECK_FALSE(check_json_syntax(R"({"a": 01})", &e));
  CHECK_FALSE(check_json_syntax("", &e));
}

TEST_CASE("deep nesting is refused rather than overflowing the stack") {
  std::string deep(100000, '[');
  JsonSyntaxError e;
  CHECK_FALSE(check_json_syntax(deep, &e));
}
