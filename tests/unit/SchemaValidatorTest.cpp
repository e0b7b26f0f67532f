// Tests of http/SchemaValidator: compiling the schema subset and the field
// errors it reports for bad input.
#include "core/SchemaValidator.hpp"

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using crm::core::FieldError;
using crm::core::SchemaValidator;

namespace {

SchemaValidator compiled(const std::string& schema) {
  std::string error;
  auto v = SchemaValidator::compile(schema, &error);
  INFO(error);
  REQUIRE(v.has_value());
  return *v;
}

// Poco 1.11's parser only accepts an object or array at the top, so a scalar
// document is parsed as the single element of an array.
std::vector<FieldError> errors_of(const SchemaValidator& v, const std::string& json) {
  Poco::JSON::Parser parser;
  auto wrapped = parser.parse("[" + json + "]").extract<Poco::JSON::Array::Ptr>();
  return v.validate(wrapped->get(0));
}

// "field: message" lines, in the order reported.
std::vector<std::string> lines(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field + ": " + e.message);
  return out;
}

std::string compile_error(const std::string& schema) {
  std::string error;
  auto v = SchemaValidator::compile(schema, &error);
  CHECK_FALSE(v.has_value());
  return error;
}

const char* kProfileSchema = R"({
  "type": "object",
  "required": ["riskTolerance", "experienceYears"],
  "additionalProperties": false,
  "properties": {
    "riskTolerance": {"type": "string", "enum": ["LOW", "MEDIUM", "HIGH"]},
    "experienceYears": {"type": "integer", "minimum": 0, "maximum": 80},
    "annualIncome": {"type": ["number", "null"], "minimum": 0},
    "goals": {"type": "array", "maxItems": 3, "items": {"type": "string", "minLength": 1, "maxLength": 5}},
    "address": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
  }
})";

} // namespace

TEST_CASE("a valid input has no errors", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":3,"annualIncome":null,
                        "goals":["home","car"],"address":{"city":"Oslo"}})")
            .empty());
  CHECK(errors_of(v, R"({"riskTolerance":"HIGH","experienceYears":0,"annualIncome":1200.5})").empty());
}

TEST_CASE("missing required fields are reported as required", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, "{}")) ==
        std::vector<std::string>{"riskTolerance: is required", "experienceYears: is required"});
}

TEST_CASE("wrong types say which type is expected", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":1,"experienceYears":"3","annualIncome":"x"})")) ==
        std::vector<std::string>{"annualIncome: must be a number or null", "experienceYears: must be an integer",
                                 "riskTolerance: must be a string"});
}

TEST_CASE("an integral number counts as an integer, a fraction does not", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":3.0})").empty());
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":3.5})")) ==
        std::vector<std::string>{"experienceYears: must be an integer"});
}

TEST_CASE("an enum lists its values", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":"EXTREME","experienceYears":1})")) ==
        std::vector<std::string>{"riskTolerance: must be one of LOW, MEDIUM, HIGH"});
}

TEST_CASE("numbers outside the bounds are refused", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":81,"annualIncome":-0.5})")) ==
        std::vector<std::string>{"annualIncome: must be at least 0", "experienceYears: must be at most 80"});
}

TEST_CASE("nested fields and array items are named by their path", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":1,
                                "goals":["ok","",7],"address":{"city":false}})")) ==
        std::vector<std::string>{"address.city: must be a string", "goals[1]: must not be empty",
                                 "goals[2]: must be a string"});
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":1,"address":{}})")) ==
        std::vector<std::string>{"address.city: is required"});
}

TEST_CASE("array length limits are checked", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":1,"goals":["a","b","c","d"]})")) ==
        std::vector<std::string>{"goals: must have at most 3 items"});
}

TEST_CASE("string lengths count code points, not bytes", "[schema]") {
  auto v = compiled(kProfileSchema);
  // "ééééé" is 5 code points in 10 bytes: within maxLength 5.
  CHECK(errors_of(v, "{\"riskTolerance\":\"LOW\",\"experienceYears\":1,\"goals\":[\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"]}")
            .empty());
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":1,"goals":["abcdef"]})")) ==
        std::vector<std::string>{"goals[0]: must be at most 5 characters long"});
}

TEST_CASE("properties not declared are refused when additionalProperties is false", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, R"({"riskTolerance":"LOW","experienceYears":1,"admin":true})")) ==
        std::vector<std::string>{"admin: is not allowed"});
  // ...and accepted by default.
  auto open = compiled(R"({"type":"object","properties":{"a":{"type":"string"}}})");
  CHECK(errors_of(open, R"({"a":"x","b":1})").empty());
}

TEST_CASE("additionalProperties may be a schema for the undeclared properties", "[schema]") {
  auto v = compiled(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  CHECK(errors_of(v, R"({"a":1,"b":2})").empty());
  CHECK(lines(errors_of(v, R"({"a":1,"b":"x"})")) == std::vector<std::string>{"b: must be an integer"});
}

TEST_CASE("a root of the wrong type is reported against the body", "[schema]") {
  auto v = compiled(kProfileSchema);
  CHECK(lines(errors_of(v, "[1,2]")) == std::vector<std::string>{"body: must be an object"});
  CHECK(lines(v.validate(Poco::Dynamic::Var())) == std::vector<std::string>{"body: must be an object"});
}

TEST_CASE("items of a root array are named after the body", "[schema]") {
  auto v = compiled(R"({"type":"array","items":{"type":"integer"}})");
  CHECK(lines(errors_of(v, "[1,\"a\"]")) == std::vector<std::string>{"body[1]: must be an integer"});
}

TEST_CASE("formats uuid, email, date-time and date are checked", "[schema]") {
  auto v = compiled(R"({"type":"object","properties":{
      "id":{"type":"string","format":"uuid"},
      "email":{"type":"string","format":"email"},
      "at":{"type":"string","format":"date-time"},
      "day":{"type":"string","format":"date"}}})");
  CHECK(errors_of(v, R"({"id":"3F1C2A9E-0000-4000-8000-000000000001","email":"ann.lee+crm@mail.example.com",
                         "at":"2026-11-23T09:18:12.123+01:00","day":"2024-02-29"})")
            .empty());
  CHECK(errors_of(v, R"({"at":"2026-11-23T23:59:60Z"})").empty()); // leap second

  for (const char* bad : {"3f1c2a9e00004000800000000000000001", "3f1c2a9e-0000-4000-8000-00000000000g",
                          "3f1c2a9e-0000-4000-8000-0000000000011"}) {
    INFO(bad);
    CHECK(lines(errors_of(v, std::string(R"({"id":")") + bad + "\"}")) ==
          std::vector<std::string>{"id: must be a UUID"});
  }
  for (const char* bad : {"ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "an n@example.com",
                          "ann@exa_mple.com", ".ann@example.com", "ann@-example.com"}) {
    INFO(bad);
    CHECK(lines(errors_of(v, std::string(R"({"email":")") + bad + "\"}")) ==
          std::vector<std::string>{"email: must be an email address"});
  }
  for (const char* bad : {"2026-11-23", "2026-11-23T09:18:12", "2026-11-23 09:18:12Z", "2026-13-01T00:00:00Z",
                          "2026-11-23T24:00:00Z", "2026-11-23T09:18:12.Z", "2026-11-23T09:18:12+0100",
                          "2026-02-30T00:00:00Z"}) {
    INFO(bad);
    CHECK(lines(errors_of(v, std::string(R"({"at":")") + bad + "\"}")).size() == 1);
  }
  for (const char* bad : {"2023-02-29", "1900-02-29", "2026-1-01", "2026-04-31", "26-01-01"}) {
    INFO(bad);
    CHECK(lines(errors_of(v, std::string(R"({"day":")") + bad + "\"}")) ==
          std::vector<std::string>{"day: must be a date such as 2026-01-31"});
  }
}

TEST_CASE("a pattern is searched in the string", "[schema]") {
  auto v = compiled(R"({"type":"string","pattern":"^[A-Z]{3}$"})");
  CHECK(errors_of(v, "\"EUR\"").empty());
  CHECK(lines(errors_of(v, "\"eur\"")) == std::vector<std::string>{"body: must match the pattern ^[A-Z]{3}$"});
}

TEST_CASE("nullable adds null to the declared type", "[schema]") {
  auto v = compiled(R"({"type":"string","nullable":true})");
  CHECK(errors_of(v, "null").empty());
  CHECK(lines(errors_of(v, "1")) == std::vector<std::string>{"body: must be a string or null"});
}

TEST_CASE("exclusive bounds and boolean type are checked", "[schema]") {
  auto v = compiled(R"({"type":"object","properties":{"amount":{"type":"number","exclusiveMinimum":0},
                                                      "flag":{"type":"boolean"}}})");
  CHECK(lines(errors_of(v, R"({"amount":0,"flag":"yes"})")) ==
        std::vector<std::string>{"amount: must be greater than 0", "flag: must be a boolean"});
}

TEST_CASE("a huge array of bad items yields a bounded number of errors", "[schema]") {
  auto v = compiled(R"({"type":"array","items":{"type":"string"}})");
  std::string json = "[";
  for (int i = 0; i < 1000; ++i) json += i ? ",1" : "1";
  json += "]";
  CHECK(errors_of(v, json).size() == SchemaValidator::kMaxErrors);
}

TEST_CASE("a copied validator shares the compiled schema and keeps working", "[schema]") {
  std::optional<SchemaValidator> copy;
  {
    auto original = compiled(R"({"type":"integer"})");
    copy = original;
  }
  CHECK(errors_of(*copy, "1").empty());
  CHECK(errors_of(*copy, "\"x\"").size() == 1);
}

TEST_CASE("malformed schemas are refused with a clear reason", "[schema]") {
  CHECK_THAT(compile_error("{"), Catch::Contains("not valid JSON"));
  CHECK_THAT(compile_error("[]"), Catch::Contains("must be a JSON object"));
  CHECK_THAT(compile_error(R"({"type":"strng"})"), Catch::Contains("/type: unknown type 'strng'"));
  CHECK_THAT(compile_error(R"({"type":["string","string"]})"), Catch::Contains("listed twice"));
  CHECK_THAT(compile_error(R"({"type":[]})"), Catch::Contains("/type"));
  CHECK_THAT(compile_error(R"({"properties":{"a":{"type":"tex"}}})"),
             Catch::Contains("/properties/a/type: unknown type 'tex'"));
  CHECK_THAT(compile_error(R"({"properties":[]})"), Catch::Contains("/properties"));
  CHECK_THAT(compile_error(R"({"required":"a"})"), Catch::Contains("/required"));
  CHECK_THAT(compile_error(R"({"minLength":-1})"), Catch::Contains("/minLength: must be a non-negative integer"));
  CHECK_THAT(compile_error(R"({"maxItems":1.5})"), Catch::Contains("/maxItems"));
  CHECK_THAT(compile_error(R"({"minimum":"0"})"), Catch::Contains("/minimum: must be a number"));
  CHECK_THAT(compile_error(R"({"enum":[]})"), Catch::Contains("/enum"));
  CHECK_THAT(compile_error(R"({"enum":[{"a":1}]})"), Catch::Contains("/enum"));
  CHECK_THAT(compile_error(R"({"format":"uri"})"), Catch::Contains("format 'uri' is not supported"));
  CHECK_THAT(compile_error(R"({"items":[{"type":"string"}]})"), Catch::Contains("/items"));
  CHECK_THAT(compile_error(R"({"additionalProperties":"no"})"), Catch::Contains("/additionalProperties"));
  CHECK_THAT(compile_error(R"({"pattern":"("})"), Catch::Contains("/pattern: is not a valid regular expression"));
  CHECK_THAT(compile_error(R"({"minLength":5,"maxLength":2})"), Catch::Contains("minLength is greater than maxLength"));
  CHECK_THAT(compile_error(R"({"oneOf":[]})"), Catch::Contains("keyword 'oneOf' is not supported"));
  CHECK_THAT(compile_error(R"({"requried":["a"]})"), Catch::Contains("keyword 'requried' is not supported"));
}

TEST_CASE("annotations and vendor extensions are accepted and ignored", "[schema]") {
  auto v = compiled(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"d",
                        "type":"string","default":"x","examples":["y"],"x-internal":true})");
  CHECK(errors_of(v, "\"z\"").empty());
}

TEST_CASE("a schema without type accepts any value", "[schema]") {
  auto v = compiled("{}");
  CHECK(errors_of(v, "1").empty());
  CHECK(errors_of(v, "null").empty());
  CHECK(errors_of(v, R"({"a":[1]})").empty());
}
