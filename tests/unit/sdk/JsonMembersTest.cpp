// Tests of crm/sdk/json_members.hpp: a row's JSON object with more members.
#include <crm/sdk/json_members.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

TEST_CASE("members are added at the end of an object and it stays JSON", "[sdk][json-members]") {
  const std::string out = crm::with_members(R"({"id": "a", "n": 1} )", crm::JsonObject().field("why", "say \"hi\"").raw(
                                                                          "changed", R"(["name"])"));
  Poco::JSON::Parser parser;
  const auto o = parser.parse(out).extract<Poco::JSON::Object::Ptr>();
  CHECK(o->getValue<std::string>("id") == "a");
  CHECK(o->getValue<std::string>("why") == "say \"hi\"");
  CHECK(o->getArray("changed")->size() == 1);
}

TEST_CASE("an empty object gains members without a stray comma", "[sdk][json-members]") {
  CHECK(crm::with_members("{}", crm::JsonObject().field("a", true)) == R"({"a":true})");
  CHECK(crm::with_members(R"({"a":1})", crm::JsonObject()) == R"({"a":1})");
}
