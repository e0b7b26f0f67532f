// Tests of http/Problem: the problem+json document and the status mapping.
#include "core/Problem.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using crm::core::FieldError;
using crm::core::Problem;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json) {
  Poco::JSON::Parser parser;
  return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

TEST_CASE("a problem without a title takes the standard reason phrase", "[problem]") {
  const std::pair<int, const char*> expected[] = {
      {400, "Bad Request"},        {401, "Unauthorized"},         {403, "Forbidden"},
      {404, "Not Found"},          {405, "Method Not Allowed"},   {409, "Conflict"},
      {413, "Content Too Large"},  {415, "Unsupported Media Type"}, {422, "Unprocessable Content"},
      {429, "Too Many Requests"},  {500, "Internal Server Error"}, {503, "Service Unavailable"}};
  for (const auto& [status, title] : expected) {
    Problem p;
    p.status = status;
    auto doc = parse(p.to_json());
    INFO(status);
    CHECK(doc->getValue<std::string>("title") == title);
    CHECK(doc->getValue<int>("status") == status);
    CHECK(doc->getValue<std::string>("type") == "about:blank");
  }
}

TEST_CASE("an explicit title is kept", "[problem]") {
  Problem p{409, "Email taken", "", "", {}};
  CHECK(parse(p.to_json())->getValue<std::string>("title") == "Email taken");
}

TEST_CASE("a problem renders every member and its field errors", "[problem]") {
  Problem p;
  p.status = 422;
  p.detail = "the input is not valid";
  p.instance = "/api/customers";
  p.errors = {FieldError{"name", "is required"}, FieldError{"goals[2]", "must be a string"}};
  const std::string json = p.to_json();
  CHECK(json == R"({"type":"about:blank","title":"Unprocessable Content","status":422,)"
                R"("detail":"the input is not valid","instance":"/api/customers",)"
                R"("errors":[{"field":"name","message":"is required"},{"field":"goals[2]","message":"must be a string"}]})");
}

TEST_CASE("errors are left out when there are none", "[problem]") {
  Problem p;
  p.status = 404;
  auto doc = parse(p.to_json());
  CHECK_FALSE(doc->has("errors"));
  CHECK(doc->has("detail"));
  CHECK(doc->has("instance"));
}

TEST_CASE("quotes, backslashes and control characters are escaped and UTF-8 passes through", "[problem]") {
  Problem p;
  p.status = 400;
  p.detail = "a \"quoted\" \\ path\nline\ttab\x01 caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  const std::string json = p.to_json();
  CHECK_THAT(json, Catch::Contains(R"(a \"quoted\" \\ path\nline\ttab\u0001 caf)"
                                   "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  // And it is valid JSON that round-trips to the same text.
  CHECK(parse(json)->getValue<std::string>("detail") == p.detail);
}

TEST_CASE("invalid UTF-8 in a message cannot break the document", "[problem]") {
  Problem p;
  p.status = 500;
  p.detail = std::string("bad \xC3 byte \xFF and overlong \xC0\xAF and surrogate \xED\xA0\x80 end");
  const std::string json = p.to_json();
  CHECK_THAT(json, Catch::Contains(R"(bad \ufffd byte \ufffd and overlong \ufffd\ufffd and surrogate \ufffd\ufffd\ufffd end)"));
  CHECK_NOTHROW(parse(json));
}

TEST_CASE("plugin statuses map to HTTP statuses", "[problem]") {
  using crm::core::http_status_for;
  CHECK(http_status_for(CRM_OK) == 200);
  CHECK(http_status_for(CRM_E_INVALID) == 422);
  CHECK(http_status_for(CRM_E_NOT_FOUND) == 404);
  CHECK(http_status_for(CRM_E_CONFLICT) == 409);
  CHECK(http_status_for(CRM_E_FORBIDDEN) == 403);
  CHECK(http_status_for(CRM_E_UNAVAILABLE) == 503);
  CHECK(http_status_for(CRM_E_INTERNAL) == 500);
  CHECK(http_status_for(static_cast<crm_status>(99)) == 500);
}
