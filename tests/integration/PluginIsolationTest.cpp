// Plugin isolation in the database: each plugin owns a schema of its name
// through a role of its own, and reaches nothing else.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("each plugin's schema is owned by its own role", "[isolation]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto sql = host.sql();
  for (const std::string plugin : {"fixture_c", "fixture_cpp"}) {
    INFO(plugin);
    CHECK(sql.scalar("select nspowner::regrole::text from pg_namespace where nspname = $1", {plugin}) ==
          std::optional<std::string>("crm_plugin_" + plugin));
  }
  CHECK(sql.scalar("select tableowner from pg_tables where schemaname = 'fixture_c' and tablename = 'items'") ==
        std::optional<std::string>("crm_plugin_fixture_c"));
  CHECK(sql.scalar("select has_schema_privilege('crm_plugin_fixture_c', 'fixture_cpp', 'USAGE')::text") ==
        std::optional<std::string>("false"));
  CHECK(sql.scalar("select has_schema_privilege('crm_plugin_fixture_cpp', 'fixture_c', 'USAGE')::text") ==
        std::optional<std::string>("false"));
}

TEST_CASE("a plugin cannot read another plugin's tables", "[isolation]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto& http = host.http();
  REQUIRE(http.post("/api/fixture-cpp/things", R"({"name":"secret"})").status == 201);

  // Through the host: permission denied becomes 403.
  require_problem(http.get("/api/fixture-c/peek"), 403);

  // Directly in SQL, as the plugin's role.
  auto sql = host.sql();
  sql.exec("set role crm_plugin_fixture_c");
  std::string state;
  try {
    sql.query("select count(*) from fixture_cpp.things");
  } catch (const SqlError& e) {
    state = e.sqlstate();
  }
  CHECK(state == "42501");
  sql.exec("reset role");

  // And the host is still fine afterwards (the failed call's transaction is gone).
  create_item(http, "after the peek");
}
