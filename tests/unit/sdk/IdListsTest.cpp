// Tests of crm/sdk/id_lists.hpp and the SDK's JSON escaping: ids as uuid[]
// literals and as JSON arrays.
#include <crm/sdk/id_lists.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

TEST_CASE("a uuid[] literal holds only UUIDs, so nothing needs quoting", "[sdk][id-lists]") {
  CHECK(crm::uuid_array({}) == "{}");
  CHECK(crm::uuid_array({"0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51", "x}", "1c8f6d3b-2e4a-4d66-8b1f-3c0a9e8d7f62"}) ==
        "{0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51,1c8f6d3b-2e4a-4d66-8b1f-3c0a9e8d7f62}");
}

TEST_CASE("a JSON string array escapes each element and parses back", "[sdk][id-lists][json-escape]") {
  const std::vector<std::string> values{"plain", "quo\"te", "back\\slash", "line\nbreak", std::string("nul\0", 4),
                                        "\x1f", "\xC3\xA9"};
  const std::string json = crm::json_string_array(values);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find("\\u0000") != std::string::npos);
  Poco::JSON::Parser parser;
  const auto array = parser.parse(json).extract<Poco::JSON::Array::Ptr>();
  REQUIRE(array->size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) CHECK(array->getElement<std::string>(static_cast<unsigned>(i)) == values[i]);
  CHECK(crm::json_string_array({}) == "[]");
}
