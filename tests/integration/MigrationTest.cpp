// Migrations: applied once per plugin and version, recorded in
// platform.plugin_migrations, rolled back entirely when one fails, and safe when
// several hosts start together. A failing migration of a plugin present at
// start stops the host; one of a plugin dropped in later only refuses it.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

// (plugin, version) -> number of rows recording it.
std::map<std::pair<std::string, int>, long long> recorded_migrations(Sql& sql) {
  std::map<std::pair<std::string, int>, long long> out;
  for (const auto& row : sql.query("select plugin, version, count(*) from platform.plugin_migrations group by 1, 2"))
    out[{*row[0], std::stoi(*row[1])}] = std::stoll(*row[2]);
  return out;
}

// Nothing of the failed plugin's migrations exists.
void require_rolled_back(Sql& sql) {
  CHECK_FALSE(sql.scalar("select to_regclass('fixture_bad_migration.ok_table')::text"));
  CHECK(sql.count("select count(*) from pg_tables where tablename in ('ok_table', 'broken')") == 0);
  CHECK(sql.count("select count(*) from platform.plugin_migrations where plugin = 'fixture_bad_migration'") == 0);
}

} // namespace

TEST_CASE("migrations are recorded once and not applied again by a restarted host", "[migrations]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto item = create_item(host.http(), "survives restart");
  auto sql = host.sql();

  using Key = std::pair<std::string, int>;
  const std::map<Key, long long> expected{{{"fixture_c", 1}, 1}, {{"fixture_cpp", 1}, 1}, {{"fixture_cpp", 2}, 1}, {{"fixture_cpp", 3}, 1}, {{"fixture_cpp", 4}, 1}, {{"fixture_cpp", 5}, 1}, {{"fixture_cpp", 6}, 1}};
  CHECK(recorded_migrations(sql) == expected);
  CHECK(sql.count("select count(*) from platform.plugin_migrations where applied_at is null") == 0);

  host.process().stop();
  REQUIRE(host.process().exit_code() == std::optional<int>(0));
  host.start();

  CHECK(recorded_migrations(sql) == expected);
  auto got = host.http().get("/api/fixture-c/items/" + text_of(item, "id"));
  INFO(got.body);
  CHECK(got.status == 200);
}

TEST_CASE("a migration that fails at start is rolled back entirely and stops the host with the reason",
          "[migrations]") {
  HostUnderTest host({"fixture_c", "fixture_bad_migration"}, {}, HostUnderTest::Start::Later);
  host.process().start();
  host.process().expect_exit();
  REQUIRE(host.process().wait_for_exit(std::chrono::seconds(20)) == std::optional<int>(70));
  const std::string log = host.process().log();
  INFO(host.process().log_tail(20));
  CHECK(contains(log, "crm-host: start-up failed: plugin fixture_bad_migration: schema set-up failed"));
  CHECK(contains(log, "migration"));
  CHECK_FALSE(contains(log, R"("message":"ready")"));

  auto sql = host.sql();
  require_rolled_back(sql);
}

TEST_CASE("a migration that fails in a plugin dropped in later is rolled back entirely and its plugin refused",
          "[migrations]") {
  HostUnderTest host({"fixture_c"});
  host.add_plugin("fixture_bad_migration");

  auto entry = host.wait_for_plugin("fixture_bad_migration.so", "REFUSED");
  REQUIRE(entry);
  INFO(json_of(*entry));
  CHECK(contains_nocase(text_of(entry, "error"), "migration"));

  auto sql = host.sql();
  require_rolled_back(sql);

  // The good plugin next to it is unaffected, and the host keeps serving.
  create_item(host.http(), "unaffected");
  CHECK(sql.count("select count(*) from platform.plugin_migrations where plugin = 'fixture_c'") == 1);
  CHECK(host.process().running());
}

TEST_CASE("two hosts starting together on a fresh database both come up and apply each migration once",
          "[migrations][concurrency]") {
  HostUnderTest first({"fixture_c", "fixture_cpp"}, {}, HostUnderTest::Start::Later);
  auto second = first.another_host("crm-host-2");

  // Launched back to back from this thread (see HostProcess on why), so both
  // race through start-up and migrations together.
  first.process().start();
  second->start();
  first.process().wait_until_live();
  second->wait_until_live();

  auto sql = first.sql();
  using Key = std::pair<std::string, int>;
  CHECK(recorded_migrations(sql) == std::map<Key, long long>{{{"fixture_c", 1}, 1}, {{"fixture_cpp", 1}, 1}, {{"fixture_cpp", 2}, 1}, {{"fixture_cpp", 3}, 1}, {{"fixture_cpp", 4}, 1}, {{"fixture_cpp", 5}, 1}, {{"fixture_cpp", 6}, 1}});

  // Both serve the same data.
  Http a(first.port()), b(second->port());
  auto item = create_item(a, "made on the first");
  auto got = b.get("/api/fixture-c/items/" + text_of(item, "id"));
  INFO(got.body);
  CHECK(got.status == 200);
  for (Http* http : {&a, &b}) {
    auto r = http->get("/api/plugins", {{"Authorization", bearer(HostUnderTest::admin_token())}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    size_t loaded = 0;
    for (size_t i = 0; i < items->size(); ++i)
      if (text_of(items->getObject(static_cast<unsigned>(i)), "status") == "LOADED") ++loaded;
    CHECK(loaded == 2);
  }
}
