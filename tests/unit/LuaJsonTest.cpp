// LuaJson: JSON text into Lua values and back, as workflow scripts see their
// input, variables and replies.
#include "workflows/LuaJson.hpp"
#include "workflows/LuaSandbox.hpp"

#include <catch2/catch.hpp>

using namespace crm::workflows;

namespace {

std::string round_trip(const std::string& json) {
  LuaSandbox box;
  push_json(box.state(), json);
  return to_json(box.state(), -1);
}

} // namespace

TEST_CASE("JSON comes back as the same JSON, objects with sorted keys", "[lua-json]") {
  CHECK(round_trip(R"({"b":1,"a":"x","c":true})") == R"({"a":"x","b":1,"c":true})");
  CHECK(round_trip(R"([1,2.5,"three",{"four":[4]}])") == R"([1,2.5,"three",{"four":[4]}])");
  CHECK(round_trip(R"({"text":"quote \" and \\ and \n and é"})") == R"({"text":"quote \" and \\ and \n and é"})");
  CHECK(round_trip("{}") == "{}");
  CHECK(round_trip("[]") == "[]");
  CHECK(round_trip(R"({"moved":[],"none":{}})") == R"({"moved":[],"none":{}})");
  CHECK(round_trip(R"({"gone":null,"kept":0})") == R"({"kept":0})");
}

TEST_CASE("a script's values become JSON, or a clear error for what JSON cannot hold", "[lua-json]") {
  LuaSandbox box;
  lua_State* L = box.state();
  auto json_of = [&](const char* expression) {
    const std::string chunk = std::string("return ") + expression;
    auto o = box.run(chunk, "=test");
    REQUIRE(o.ok);
    std::string out = to_json(L, -1);
    lua_pop(L, o.results);
    return out;
  };
  CHECK(json_of("{ id = 'a', n = 3, list = { 'x', 'y' } }") == R"({"id":"a","list":["x","y"],"n":3})");
  CHECK(json_of("1 / 4") == "0.25");
  CHECK(json_of("nil") == "null");
  auto refused = [&](const char* expression) {
    const std::string chunk = std::string("return ") + expression;
    auto o = box.run(chunk, "=test");
    REQUIRE(o.ok);
    CHECK_THROWS_AS(to_json(L, -1), std::invalid_argument);
    lua_pop(L, o.results);
  };
  refused("function() end");
  refused("{ 1, 2, x = 3 }");
  refused("0 / 0");
  refused("(function() local t = {} t.self = t return t end)()");
  CHECK_THROWS_AS(push_json(L, "{not json"), std::invalid_argument);
}
