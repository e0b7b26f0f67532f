// The HTTP contract for bad requests: each is refused with the right status as
// application/problem+json, before any handler runs, and changes nothing.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

// Rows and events of fixture_c, to prove a refused request changed nothing.
struct Counts {
  long long items = 0, events = 0;
  bool operator==(const Counts& o) const { return items == o.items && events == o.events; }
};
Counts counts(HostUnderTest& host) {
  auto sql = host.sql();
  return {sql.count("select count(*) from fixture_c.items"), sql.count("select count(*) from fixture_c.crm_outbox")};
}

} // namespace

TEST_CASE("a malformed JSON body is 400 saying where it broke, and changes nothing", "[http]") {
  HostUnderTest host({"fixture_c"});
  create_item(host.http(), "before");
  const Counts before = counts(host);

  for (const std::string body : {R"({"name": "x",)", R"({"name" "x"})", R"({"name": "x"} trailing)"}) {
    INFO("body: " << body);
    auto problem = require_problem(host.http().post("/api/fixture-c/items", body), 400);
    const std::string detail = text_of(problem, "detail");
    INFO("detail: " << detail);
    CHECK((contains_nocase(detail, "line") || contains_nocase(detail, "position") ||
           contains_nocase(detail, "column")));
  }
  CHECK(counts(host) == before);
}

TEST_CASE("a body over the size cap is 413, and changes nothing", "[http]") {
  HostUnderTest host({"fixture_c"}, {{"CRM_HTTP_MAX_BODY_BYTES", "1024"}});
  create_item(host.http(), "small bodies still work");
  const Counts before = counts(host);

  const std::string big = R"({"name":")" + std::string(2000, 'x') + R"("})";
  require_problem(host.http().post("/api/fixture-c/items", big), 413);
  host.http().reset(); // the host may close a connection whose body it did not read
  CHECK(counts(host) == before);
  create_item(host.http(), "and after the refusal");
}

TEST_CASE("a POST whose content type is not JSON is 415, and changes nothing", "[http]") {
  HostUnderTest host({"fixture_c"});
  const Counts before = counts(host);
  require_problem(host.http().post("/api/fixture-c/items", R"({"name":"x"})", {{"Content-Type", "text/plain"}}), 415);
  require_problem(
      host.http().post("/api/fixture-c/items", "name=x", {{"Content-Type", "application/x-www-form-urlencoded"}}),
      415);
  CHECK(counts(host) == before);
  // JSON with parameters is JSON.
  CHECK(host.http()
            .post("/api/fixture-c/items", R"({"name":"x"})", {{"Content-Type", "application/json; charset=utf-8"}})
            .status == 201);
}

TEST_CASE("a body that breaks the input schema is 422 naming the field, and changes nothing", "[http]") {
  HostUnderTest host({"fixture_c"});
  const Counts before = counts(host);
  for (const std::string body : {R"({})", R"({"name": 5})", R"({"name": ""})", R"({"name": null})"}) {
    INFO("body: " << body);
    auto problem = require_problem(host.http().post("/api/fixture-c/items", body), 422);
    auto fields = error_fields(problem);
    REQUIRE_FALSE(fields.empty());
    CHECK(fields[0] == "name");
  }
  const std::string too_long = R"({"name":")" + std::string(101, 'x') + R"("})";
  auto problem = require_problem(host.http().post("/api/fixture-c/items", too_long), 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"name"});
  CHECK(counts(host) == before);
}

TEST_CASE("an unknown field is 422 naming it when the schema allows no others", "[http]") {
  HostUnderTest host({"fixture_c"});
  const Counts before = counts(host);
  auto problem = require_problem(host.http().post("/api/fixture-c/items", R"({"name":"ok","colour":"red"})"), 422);
  auto fields = error_fields(problem);
  CHECK(std::find(fields.begin(), fields.end(), "colour") != fields.end());
  CHECK(counts(host) == before);
}

TEST_CASE("an unknown path is 404 problem+json", "[http]") {
  HostUnderTest host({"fixture_c"});
  require_problem(host.http().get("/api/nowhere"), 404);
  require_problem(host.http().get("/api/fixture-c/items/a/b"), 404);
  require_problem(host.http().post("/nowhere", R"({})"), 404);
}

TEST_CASE("a wrong method on a known path is 405 listing the allowed methods", "[http]") {
  HostUnderTest host({"fixture_c"});
  const Counts before = counts(host);

  auto r = host.http().request("DELETE", "/api/fixture-c/items");
  require_problem(r, 405);
  const std::string allow = r.header("Allow").value_or("");
  INFO("Allow: " << allow);
  CHECK(contains(allow, "GET"));
  CHECK(contains(allow, "POST"));

  auto put = host.http().request("PUT", "/api/fixture-c/items/" + random_uuid(), R"({"name":"x"})");
  require_problem(put, 405);
  CHECK(contains(put.header("Allow").value_or(""), "GET"));
  CHECK(counts(host) == before);
}

TEST_CASE("a refused request's unread body does not spill into the next request on the connection", "[http]") {
  HostUnderTest host({"fixture_c"});
  Http& http = host.http(); // one keep-alive connection for every request below
  const std::string body = R"({"name":"left unread by the router"})";
  require_problem(http.post("/api/nowhere", body), 404);
  require_problem(http.request("PUT", "/api/fixture-c/items", body), 405);
  require_problem(http.post("/health/live", body), 405);
  auto after = http.get("/health/live");
  CHECK(after.status == 200);
  auto created = http.post("/api/fixture-c/items", R"({"name":"next on the same connection"})");
  CHECK(created.status == 201);
}
