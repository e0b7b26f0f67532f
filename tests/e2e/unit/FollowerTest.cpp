// The pure parts of --wait and of requests: step lines, durations, errors,
// query strings, user references.
#include "ApiClient.hpp"
#include "InstanceFollower.hpp"
#include "Json.hpp"
#include "UserRef.hpp"

#include <catch2/catch.hpp>

using namespace crmctl;

TEST_CASE("a step line names the step, its status, attempt, duration and error", "[crmctl][follow]") {
  auto ok = json::try_parse_object(
      R"({"name":"customers","phase":"forward","attempt":1,"status":"COMPLETED","durationMs":12.3})");
  CHECK(step_line(*ok) == "  customers             COMPLETED   attempt 1  12 ms");
  auto failed = json::try_parse_object(
      R"({"name":"meetings","phase":"forward","attempt":3,"status":"FAILED","durationMs":1500,"error":"sales.reassign: boom"})");
  CHECK(step_line(*failed) == "  meetings              FAILED      attempt 3  1.5 s - sales.reassign: boom");
  auto undo = json::try_parse_object(R"({"name":"customers","phase":"compensate","attempt":1,"status":"COMPLETED"})");
  CHECK(step_line(*undo) == "  customers (undo)      COMPLETED   attempt 1");
}

TEST_CASE("durations read naturally", "[crmctl][follow]") {
  CHECK(duration_text(0.4) == "0 ms");
  CHECK(duration_text(999) == "999 ms");
  CHECK(duration_text(1500) == "1.5 s");
  CHECK(duration_text(125000) == "2 min 5 s");
}

TEST_CASE("an error is shown as text whatever its shape", "[crmctl][follow]") {
  CHECK(error_text(json::Value()).empty());
  CHECK(error_text(json::Value("plain")) == "plain");
  CHECK(error_text(json::parse(R"({"step":"tasks","message":"timeout"})")) == "tasks: timeout");
  CHECK(error_text(json::parse(R"({"code":7})")) == "{\"code\":7}");
}

TEST_CASE("final statuses are the four an instance ends in", "[crmctl][follow]") {
  for (const char* s : {"COMPLETED", "FAILED", "COMPENSATED", "CANCELLED"}) CHECK(is_final_status(s));
  for (const char* s : {"RUNNING", "WAITING", ""}) CHECK_FALSE(is_final_status(s));
}

TEST_CASE("query strings leave out empty values and encode the rest", "[crmctl][query]") {
  CHECK(Query().str().empty());
  CHECK(Query().add("role", "SALES").add("q", "").add("email", "a+b@x.io").str() == "?role=SALES&email=a%2Bb%40x.io");
  CHECK(Query().add("q", "Ann Lee&co").str() == "?q=Ann%20Lee%26co");
}

TEST_CASE("a user id is a UUID", "[crmctl][users]") {
  CHECK(is_uuid("3f0c1d2e-1234-4abc-9def-0123456789ab"));
  CHECK_FALSE(is_uuid("3f0c1d2e-1234-4abc-9def-0123456789a"));
  CHECK_FALSE(is_uuid("ann@example.com"));
  CHECK_FALSE(is_uuid("3f0c1d2e_1234-4abc-9def-0123456789ab"));
}
