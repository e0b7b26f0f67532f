// POST /api/workflows/{name}/validate against a running host: the operations
// and event types it checks are the loaded plugins' own.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("a workflow is validated against the loaded operations, with errors by line", "[workflows]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  const Headers admin{{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "text/x-lua"}};
  const std::string good = R"(return saga "make_items" {
  trigger = on_event "item.created",
  steps = {
    step "item" { call = "fixture_c.create_item", compensate = "fixture_cpp.set_poison" },
  },
})";
  auto ok = host.http().post("/api/workflows/make_items/validate", good, admin);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  CHECK(text_of(ok.json(), "kind") == "saga");
  CHECK(text_of(ok.json(), "trigger") == "item.created");

  const std::string bad = R"(return saga "make_items" {
  trigger = manual,
  steps = {
    step "item" { call = "fixture_c.no_such_operation" },
  },
})";
  auto refused = host.http().post("/api/workflows/make_items/validate", bad, admin);
  INFO(refused.body);
  require_problem(refused, 422);
  auto errors = refused.json()->getArray("errors");
  REQUIRE(errors->size() == 1);
  CHECK(errors->getObject(0)->getValue<int>("line") == 4);
  CHECK(contains(errors->getObject(0)->getValue<std::string>("message"), "fixture_c.no_such_operation"));

  require_problem(host.http().post("/api/workflows/make_items/validate", good,
                                   {{"Authorization", bearer(mint_token("MANAGER", random_uuid()))}}),
                  403);
  require_problem(host.http().post("/api/workflows/make_items/validate", good), 401);
}
