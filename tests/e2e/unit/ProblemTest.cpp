// Problem: problem+json answers read leniently and rendered for a terminal.
#include "Problem.hpp"

#include <catch2/catch.hpp>

using namespace crmctl;

TEST_CASE("a problem renders as title, status and detail, then one line per field error", "[crmctl][problem]") {
  auto p = parse_problem(422, R"({"type":"about:blank","title":"Unprocessable Content","status":422,
    "detail":"the input is not valid","instance":"/api/auth/register",
    "errors":[{"field":"email","message":"must be an email address"},{"field":"password","message":"is too short"}]})");
  CHECK(p.status == 422);
  CHECK(p.instance == "/api/auth/register");
  CHECK(p.render() == "Unprocessable Content (422): the input is not valid\n"
                      "  email: must be an email address\n"
                      "  password: is too short");
}

TEST_CASE("a problem without detail shows its title alone", "[crmctl][problem]") {
  CHECK(parse_problem(401, R"({"title":"Unauthorized","status":401,"detail":""})").render() == "Unauthorized (401)");
}

TEST_CASE("a body that is not JSON still gives the status and its first line", "[crmctl][problem]") {
  auto p = parse_problem(502, "<html>\n<h1>Bad gateway</h1></html>");
  CHECK(p.headline() == "Bad Gateway (502): <html>");
  CHECK(parse_problem(503, "").headline() == "Service Unavailable (503)");
}

TEST_CASE("workflow errors keep their line numbers", "[crmctl][problem]") {
  auto p = parse_problem(422, R"({"title":"Unprocessable Content","status":422,"detail":"the workflow x is not valid",
    "errors":[{"line":4,"message":"unknown operation a.b"},{"line":0,"message":"no trigger"}]})");
  REQUIRE(p.line_errors.size() == 2);
  CHECK(p.line_errors[0] == std::make_pair(4, std::string("unknown operation a.b")));
  CHECK(p.errors.empty());
  CHECK(p.render() == "Unprocessable Content (422): the workflow x is not valid\n"
                      "  line 4: unknown operation a.b\n"
                      "  no trigger");
}

TEST_CASE("the status in the body wins over the transport's", "[crmctl][problem]") {
  CHECK(parse_problem(500, R"({"title":"Conflict","status":409,"detail":"taken"})").status == 409);
}
