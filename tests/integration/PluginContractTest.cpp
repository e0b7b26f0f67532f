// The plugin contract of ABI 1.4 against a running host: one lifetime for
// everything the host hands a plugin, invoke_call()'s status and problem,
// event types known from what plugins declare they emit, and a start-up
// operation that receives its own plugin's configuration only.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <crm/plugin_abi.h>

#include <catch2/catch.hpp>

using namespace itest;

namespace {

Headers as_admin() { return {{"Authorization", bearer(HostUnderTest::admin_token())}}; }

std::string id_at(const Poco::JSON::Object::Ptr& reply, const std::string& list, unsigned i) {
  auto a = reply->getArray(list);
  if (!a || a->size() <= i || a->isNull(i)) return {};
  return text_of(a->getObject(i), "id");
}

Poco::JSON::Object::Ptr peer(Http& http, const std::string& operation, const std::string& input) {
  auto r = http.post("/api/fixture-cpp/peer", R"({"operation":")" + operation + R"(","input":)" + input + "}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

} // namespace

TEST_CASE("everything the host hands a plugin stays valid until the end of the call", "[plugins][abi]") {
  HostUnderTest host({"fixture_c"});
  auto& http = host.http();
  const std::string first = text_of(create_item(http, "first"), "id");
  const std::string second = text_of(create_item(http, "second"), "id");
  const std::string body = R"({"first":")" + first + R"(","second":")" + second + R"("})";

  // The first call fills the cache (both keys miss); the second finds both.
  auto filled = http.post("/api/fixture-c/lifetimes", body, as_admin());
  INFO(filled.body);
  REQUIRE(filled.status == 200);
  auto r = http.post("/api/fixture-c/lifetimes", body, as_admin());
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto reply = r.json();
  // Each pointer still holds its own value after the second of its kind was handed out.
  CHECK(id_at(reply, "rows", 0) == first);
  CHECK(id_at(reply, "rows", 1) == second);
  CHECK(id_at(reply, "invoked", 0) == first);
  CHECK(id_at(reply, "invoked", 1) == second);
  CHECK(id_at(reply, "cached", 0) == first);
  CHECK(id_at(reply, "cached", 1) == second);
  auto tokens = reply->getArray("tokens");
  REQUIRE(tokens->size() == 2);
  CHECK_FALSE(text_of(tokens->getObject(0), "jti").empty());
  CHECK(text_of(tokens->getObject(0), "jti") != text_of(tokens->getObject(1), "jti"));
}

TEST_CASE("invoke_call returns the callee's status and problem, field errors included", "[plugins][abi][invoker]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto& http = host.http();

  // A refused input: INVALID, and the problem names the field in the callee's input.
  auto invalid = peer(http, "fixture_c.create_item", "{}");
  CHECK(invalid->getValue<int>("status") == CRM_E_INVALID);
  auto problem = invalid->getObject("body");
  REQUIRE(problem);
  CHECK(problem->getValue<int>("status") == 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"name"});
  CHECK(invalid->getValue<int>("thrownStatus") == CRM_E_INVALID);

  // A handler's own failure: its status and detail.
  auto missing_item = peer(http, "fixture_c.get_item", R"({"id":")" + random_uuid() + R"("})");
  CHECK(missing_item->getValue<int>("status") == CRM_E_NOT_FOUND);
  CHECK(text_of(missing_item->getObject("body"), "detail") == "item not found");
  CHECK(text_of(missing_item, "thrownMessage") == "item not found");

  // No plugin offers the operation: a status of its own, not NOT_FOUND.
  auto nobody = peer(http, "nobody.nothing", "{}");
  CHECK(nobody->getValue<int>("status") == CRM_E_NO_OPERATION);
  CHECK(nobody->getObject("body")->getValue<int>("status") == 404);
  CHECK(nobody->getValue<int>("thrownStatus") == CRM_E_NO_OPERATION);

  // Success: the reply itself.
  const std::string id = text_of(create_item(http, "seen"), "id");
  auto found = peer(http, "fixture_c.get_item", R"({"id":")" + id + R"("})");
  CHECK(found->getValue<int>("status") == CRM_OK);
  CHECK(text_of(found->getObject("body"), "name") == "seen");
  CHECK_FALSE(found->has("thrownStatus"));
}

TEST_CASE("workflow validation knows the event types the loaded plugins declare, and no others",
          "[workflows][abi]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  const Headers lua{{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "text/x-lua"}};
  auto workflow_on = [](const std::string& event) {
    return "return saga \"on_event\" {\n  trigger = on_event \"" + event +
           "\",\n  steps = {\n    step \"item\" { call = \"fixture_c.create_item\" },\n  },\n}\n";
  };
  // thing.created: declared by fixture_cpp's emits, subscribed by nobody.
  auto declared = host.http().post("/api/workflows/on_event/validate", workflow_on("thing.created"), lua);
  INFO(declared.body);
  CHECK(declared.status == 200);
  // workflow.finished: the host's own.
  CHECK(host.http().post("/api/workflows/on_event/validate", workflow_on("workflow.finished"), lua).status == 200);
  // approval.requested: no loaded plugin emits it (the opportunity plugin is
  // not loaded), so it is unknown; the host names no plugin's events itself.
  auto unknown = host.http().post("/api/workflows/on_event/validate", workflow_on("approval.requested"), lua);
  INFO(unknown.body);
  require_problem(unknown, 422);
  CHECK(contains(unknown.body, "approval.requested"));
}

TEST_CASE("a plugin emitting a type it did not declare is warned about once, and the event is still recorded",
          "[plugins][abi]") {
  HostUnderTest host({"fixture_cpp"});
  // fixture_cpp declares thing.created and notification.created only.
  for (int i = 0; i < 2; ++i) {
    auto r = host.http().post("/api/fixture-cpp/emit-undeclared", "{}");
    INFO(r.body);
    REQUIRE(r.status == 200); // the emit succeeded and the call committed
  }
  const std::string log = host.process().log();
  size_t warnings = 0;
  for (size_t at = log.find("'thing.undeclared' that its definition does not declare"); at != std::string::npos;
       at = log.find("'thing.undeclared' that its definition does not declare", at + 1))
    ++warnings;
  CHECK(warnings == 1);
}

TEST_CASE("a start-up operation receives its own plugin's configuration, not the first admin's password",
          "[plugins][abi][auth]") {
  HostUnderTest host({"fixture_cpp"}, {{"CRM_ADMIN_EMAIL", "first@example.com"},
                                      {"CRM_ADMIN_PASSWORD", "a-secret-for-auth-only"}});
  auto input = host.sql().scalar("select input::text from fixture_cpp.start_inputs order by at limit 1");
  REQUIRE(input);
  INFO(*input);
  CHECK(starts_with(*input, "{"));
  CHECK_FALSE(contains(*input, "a-secret-for-auth-only"));
  CHECK_FALSE(contains(*input, "admin"));
}
