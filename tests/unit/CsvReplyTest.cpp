// CsvReply: which Accept headers ask for CSV, and lists rendered as CSV.
#include "http/CsvReply.hpp"

#include <catch2/catch.hpp>

using crm::http::formula_safe;
using crm::http::items_csv;
using crm::http::prefers_csv;

TEST_CASE("Accept asks for CSV only when text/csv ranks at least as high as JSON", "[csv]") {
  CHECK(prefers_csv("text/csv"));
  CHECK(prefers_csv("text/csv, application/json;q=0.5"));
  CHECK(prefers_csv("Text/CSV;charset=utf-8"));
  CHECK_FALSE(prefers_csv("application/json"));
  CHECK_FALSE(prefers_csv("*/*"));
  CHECK_FALSE(prefers_csv("application/json, text/csv;q=0.9"));
  CHECK_FALSE(prefers_csv("text/csv;q=0"));
}

TEST_CASE("a list becomes CSV with a header of every key in order", "[csv]") {
  auto csv = items_csv(R"({"items":[{"user":"u1","meetings":3,"amount":1250.5,"note":null},)"
                       R"({"user":"u2, \"the second\"","meetings":0,"extra":true,"amount":0}],"nextCursor":null})");
  REQUIRE(csv);
  CHECK(*csv == "user,meetings,amount,note,extra\r\n"
                "u1,3,1250.5,,\r\n"
                "\"u2, \"\"the second\"\"\",0,0,,true\r\n");
}

TEST_CASE("CSV cells never start a spreadsheet formula and nested values stay JSON", "[csv]") {
  auto csv = items_csv(R"J([{"name":"=HYPERLINK(1)","tags":["a","b"],"n":-3}])J");
  REQUIRE(csv);
  CHECK(*csv == "name,tags,n\r\n'=HYPERLINK(1),\"[\"\"a\"\",\"\"b\"\"]\",'-3\r\n");
}

TEST_CASE("a cell starting with = + - @ TAB or CR gets a leading quote, numbers included", "[csv]") {
  CHECK(formula_safe("-1+1+cmd|' /C calc'!A0") == "'-1+1+cmd|' /C calc'!A0");
  CHECK(formula_safe("\t=1+1") == "'\t=1+1");
  CHECK(formula_safe("\r=1") == "'\r=1");
  CHECK(formula_safe("=SUM(A1)") == "'=SUM(A1)");
  CHECK(formula_safe("+1") == "'+1");
  CHECK(formula_safe("@SUM(A1)") == "'@SUM(A1)");
  CHECK(formula_safe("-5") == "'-5");
  // Only the first character counts.
  CHECK(formula_safe("a=1") == "a=1");
  CHECK(formula_safe("5-1") == "5-1");
  CHECK(formula_safe(" =1") == " =1");
  CHECK(formula_safe("") == "");
}

TEST_CASE("every cell of a CSV reply is neutralised: text, numbers and headers", "[csv]") {
  auto csv = items_csv(R"J({"items":[{"a":"-1+1+cmd|' /C calc'!A0","b":"\t=1+1","c":"\r=1","d":-5,"@e":"@x"}]})J");
  REQUIRE(csv);
  // A CR inside a cell makes it quoted; the quote mark stays first inside.
  CHECK(*csv == "a,b,c,d,'@e\r\n"
                "'-1+1+cmd|' /C calc'!A0,'\t=1+1,\"'\r=1\",'-5,'@x\r\n");
}

TEST_CASE("what is not a list of objects is not CSV", "[csv]") {
  CHECK_FALSE(items_csv(R"({"id":"x"})"));
  CHECK_FALSE(items_csv(R"({"items":[1,2]})"));
  CHECK_FALSE(items_csv("not json"));
  CHECK(items_csv(R"({"items":[]})") == std::string());
}
