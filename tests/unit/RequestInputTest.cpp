// RequestInput: how a REST request becomes an operation's input object.
#include "http/RequestInput.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace crm::http;

namespace {
Poco::JSON::Object::Ptr parse(const std::string& json) {
  Poco::JSON::Parser p;
  return p.parse(json).extract<Poco::JSON::Object::Ptr>();
}
} // namespace

TEST_CASE("query strings are split and percent-decoded") {
  auto q = parse_query("a=1&name=J%C3%BCrgen+M&flag&=x&b=%zz");
  REQUIRE(q.size() == 5);
  CHECK(q[0] == std::make_pair(std::string("a"), std::string("1")));
  CHECK(q[1].second == "Jürgen M");
  CHECK(q[2] == std::make_pair(std::string("flag"), std::string("")));
  CHECK(q[4].second == "%zz");
}

TEST_CASE("without a body the input is query parameters then path parameters, path winning") {
  auto r = build_input("", {{"id", "from-query"}, {"limit", "5"}}, {{"id", "from-path"}});
  REQUIRE_FALSE(r.problem);
  auto o = parse(r.json);
  CHECK(o->getValue<std::string>("id") == "from-path");
  CHECK(o->getValue<std::string>("limit") == "5");
  CHECK(r.parsed.isEmpty());
}

TEST_CASE("body fields win over query parameters and lose to path parameters") {
  auto r = build_input(R"({"name":"n","id":"body","n":3})", {{"name", "q"}, {"extra", "e"}}, {{"id", "path"}});
  REQUIRE_FALSE(r.problem);
  auto o = parse(r.json);
  CHECK(o->getValue<std::string>("name") == "n");
  CHECK(o->getValue<std::string>("id") == "path");
  CHECK(o->getValue<std::string>("extra") == "e");
  CHECK(o->getValue<int>("n") == 3);
  CHECK_FALSE(r.parsed.isEmpty());
}

TEST_CASE("malformed JSON is a 400 that says where") {
  auto r = build_input("{\"name\": \"x\",\n}", {}, {});
  REQUIRE(r.problem);
  CHECK(r.problem->status == 400);
  CHECK(r.problem->detail.find("line 2") != std::string::npos);
}

TEST_CASE("a body that is not an object is a 422 on the body") {
  auto r = build_input("[1,2]", {}, {});
  REQUIRE(r.problem);
  CHECK(r.problem->status == 422);
  REQUIRE(r.problem->errors.size() == 1);
  CHECK(r.problem->errors[0].field == "body");
}

TEST_CASE("hand-built input escapes what it copies") {
  auto r = build_input("", {{"q", "a\"b\\c\n"}}, {});
  auto o = parse(r.json);
  CHECK(o->getValue<std::string>("q") == "a\"b\\c\n");
}

TEST_CASE("a NUL character in the body is a 422 naming the field") {
  // Input crosses the C ABI as NUL-terminated text: a NUL would cut it short.
  auto r = build_input(R"({"name":"ok","tags":["a","b\u0000c"]})", {}, {});
  REQUIRE(r.problem);
  CHECK(r.problem->status == 422);
  REQUIRE(r.problem->errors.size() == 1);
  CHECK(r.problem->errors[0].field == "tags[1]");

  auto nested = build_input(R"({"address":{"city":"x\u0000y"}})", {}, {});
  REQUIRE(nested.problem);
  CHECK(nested.problem->errors[0].field == "address.city");

  auto escaped = build_input(R"({"note":"a literal \\u0000 is fine"})", {}, {});
  CHECK_FALSE(escaped.problem);
}

TEST_CASE("a NUL character in a query or path parameter is a 422 naming it") {
  auto r = build_input("", parse_query("name=a%00b"), {});
  REQUIRE(r.problem);
  CHECK(r.problem->status == 422);
  REQUIRE(r.problem->errors.size() == 1);
  CHECK(r.problem->errors[0].field == "name");
}
