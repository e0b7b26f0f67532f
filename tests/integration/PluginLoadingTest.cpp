// Plugin loading: good plugins are loaded, migrated and routed; every kind of
// broken plugin is refused with its reason and never takes the host down;
// GET /api/plugins reports both.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace itest;

namespace {

std::set<std::string> operation_names(const Poco::JSON::Object::Ptr& entry) {
  std::set<std::string> names;
  auto ops = entry->getArray("operations");
  if (!ops) return names;
  for (size_t i = 0; i < ops->size(); ++i) names.insert(ops->getElement<std::string>(static_cast<unsigned>(i)));
  return names;
}

size_t entries_for_file(const Poco::JSON::Array::Ptr& items, const std::string& file) {
  size_t n = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    auto entry = items->getObject(static_cast<unsigned>(i));
    if (entry && entry->optValue<std::string>("file", "") == file) ++n;
  }
  return n;
}

// The entry for `file` is REFUSED, names `expected_name` or no name, and its
// error contains `reason` (case-insensitive).
void require_refused(HostUnderTest& host, const std::string& file, const std::string& expected_name,
                     const std::string& reason) {
  auto entry = host.plugin_entry(file);
  INFO("plugin file " << file);
  REQUIRE(entry);
  INFO("entry " << json_of(*entry));
  CHECK(text_of(entry, "status") == "REFUSED");
  CHECK((entry->isNull("name") || text_of(entry, "name") == expected_name));
  REQUIRE(entry->has("error"));
  REQUIRE_FALSE(entry->isNull("error"));
  CHECK(contains_nocase(text_of(entry, "error"), reason));
}

} // namespace

TEST_CASE("a plugin written in plain C is loaded, migrated and serves its operations", "[plugins]") {
  HostUnderTest host({"fixture_c"});
  auto& http = host.http();

  auto created = create_item(http, "first");
  const std::string id = text_of(created, "id");
  CHECK(id.size() == 36);
  CHECK(text_of(created, "name") == "first");
  CHECK_FALSE(text_of(created, "createdAt").empty());

  auto got = http.get("/api/fixture-c/items/" + id);
  INFO(got.body);
  REQUIRE(got.status == 200);
  CHECK(text_of(got.json(), "id") == id);
  CHECK(text_of(got.json(), "name") == "first");

  create_item(http, "second");
  auto list = http.get("/api/fixture-c/items");
  INFO(list.body);
  REQUIRE(list.status == 200);
  auto body = list.json();
  REQUIRE(body->getArray("items"));
  REQUIRE(body->getArray("items")->size() == 2);
  CHECK(text_of(body->getArray("items")->getObject(0), "name") == "first");
  CHECK(text_of(body->getArray("items")->getObject(1), "name") == "second");
  REQUIRE(body->has("nextCursor"));
  CHECK(body->isNull("nextCursor"));

  // The migration ran in the plugin's own schema (the SQL was unqualified).
  auto sql = host.sql();
  CHECK(sql.scalar("select to_regclass('fixture_c.items')::text") == std::optional<std::string>("fixture_c.items"));
}

TEST_CASE("the plugin list shows a loaded plugin with its version, ABI and operations", "[plugins]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto entry = host.plugin_entry("fixture_c.so");
  REQUIRE(entry);
  INFO(json_of(*entry));
  CHECK(text_of(entry, "name") == "fixture_c");
  CHECK(text_of(entry, "version") == "1.0.0");
  CHECK(text_of(entry, "status") == "LOADED");
  CHECK(entry->has("abi"));
  CHECK_FALSE(entry->isNull("abi"));
  REQUIRE(entry->has("error"));
  CHECK(entry->isNull("error"));
  CHECK(operation_names(entry) == std::set<std::string>{"fixture_c.create_item", "fixture_c.get_item",
                                                        "fixture_c.list_items", "fixture_c.peek_other",
                                                        "fixture_c.lifetimes"});

  auto cpp = host.plugin_entry("fixture_cpp.so");
  REQUIRE(cpp);
  CHECK(text_of(cpp, "status") == "LOADED");
  CHECK(operation_names(cpp).count("fixture_cpp.create_thing") == 1);

  auto r = host.http().get("/api/plugins", {{"Authorization", bearer(HostUnderTest::admin_token())}});
  REQUIRE(r.status == 200);
  REQUIRE(r.json()->has("nextCursor"));
  CHECK(r.json()->isNull("nextCursor"));
}

TEST_CASE("the plugin list needs an ADMIN token", "[plugins][auth]") {
  HostUnderTest host({"fixture_c"});
  auto& http = host.http();
  require_problem(http.get("/api/plugins"), 401);
  require_problem(http.get("/api/plugins", {{"Authorization", bearer(mint_token("SALES", random_uuid()))}}), 403);
  require_problem(http.get("/api/plugins", {{"Authorization", bearer(mint_token("MANAGER", random_uuid()))}}), 403);
  CHECK(http.get("/api/plugins", {{"Authorization", bearer(HostUnderTest::admin_token())}}).status == 200);
}

TEST_CASE("each broken plugin is refused with its reason while the good ones keep answering", "[plugins]") {
  HostUnderTest host({"fixture_c", "fixture_cpp", "fixture_bad_abi", "fixture_no_entry", "fixture_small_struct",
                      "fixture_init_fails"});
  auto& http = host.http();
  // A failing migration at start stops the host (MigrationTest); dropped in
  // later, it is refused like the others.
  host.add_plugin("fixture_bad_migration");
  REQUIRE(host.wait_for_plugin("fixture_bad_migration.so", "REFUSED"));

  require_refused(host, "fixture_no_entry.so", "fixture_no_entry", "no entry symbol");
  require_refused(host, "fixture_bad_abi.so", "fixture_bad_abi", "ABI");
  require_refused(host, "fixture_small_struct.so", "fixture_small_struct", "struct");
  require_refused(host, "fixture_init_fails.so", "fixture_init_fails", "init");
  require_refused(host, "fixture_bad_migration.so", "fixture_bad_migration", "migration");

  CHECK(text_of(host.plugin_entry("fixture_c.so"), "status") == "LOADED");
  CHECK(text_of(host.plugin_entry("fixture_cpp.so"), "status") == "LOADED");

  // The good ones answer; the refused one's route does not exist.
  create_item(http, "still here");
  require_problem(http.get("/api/fixture-cpp/things/" + random_uuid()), 404);
  require_problem(http.get("/api/fixture-init-fails/ping"), 404);

  // The folder watcher does not retry refused files into duplicate entries.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto items = host.plugins();
  for (const char* file : {"fixture_no_entry.so", "fixture_bad_abi.so", "fixture_small_struct.so",
                           "fixture_init_fails.so", "fixture_bad_migration.so", "fixture_c.so"}) {
    INFO(file);
    CHECK(entries_for_file(items, file) == 1);
  }
  CHECK(host.process().running());
}

TEST_CASE("a plugin whose name or route is already taken is refused and the first one keeps serving", "[plugins]") {
  HostUnderTest host({"fixture_c"});
  auto item = create_item(host.http(), "original");

  host.add_plugin("fixture_c", "fixture_c_copy.so");
  host.add_plugin("fixture_clash");

  auto duplicate = host.wait_for_plugin("fixture_c_copy.so", "REFUSED");
  REQUIRE(duplicate);
  INFO(json_of(*duplicate));
  CHECK(contains_nocase(text_of(duplicate, "error"), "duplicate plugin name"));

  auto clash = host.wait_for_plugin("fixture_clash.so", "REFUSED");
  REQUIRE(clash);
  INFO(json_of(*clash));
  CHECK(contains_nocase(text_of(clash, "error"), "route"));

  CHECK(text_of(host.plugin_entry("fixture_c.so"), "status") == "LOADED");
  auto got = host.http().get("/api/fixture-c/items/" + text_of(item, "id"));
  INFO(got.body);
  REQUIRE(got.status == 200);
  CHECK(text_of(got.json(), "name") == "original");
}

TEST_CASE("the OpenAPI document describes every routed operation of the loaded plugins", "[plugins][openapi]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto r = host.http().get("/api/openapi.json");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto doc = r.json();
  CHECK(text_of(doc, "openapi") == "3.1.0");
  auto paths = doc->getObject("paths");
  REQUIRE(paths);
  auto items = paths->getObject("/api/fixture-c/items");
  REQUIRE(items);
  auto create = items->getObject("post");
  REQUIRE(create);
  CHECK(text_of(create, "operationId") == "fixture_c.create_item");
  REQUIRE(create->getObject("responses")->has("201"));
  // The declared input schema is the request body's schema.
  auto schema = create->getObject("requestBody")->getObject("content")->getObject("application/json")->getObject("schema");
  CHECK(schema->getArray("required")->getElement<std::string>(0) == "name");
  auto item = paths->getObject("/api/fixture-c/items/{id}");
  REQUIRE(item);
  CHECK(item->getObject("get")->getArray("parameters")->getObject(0)->getValue<std::string>("name") == "id");
  // A signed-in operation asks for the bearer token; a public one does not.
  auto whoami = paths->getObject("/api/fixture-cpp/whoami");
  REQUIRE(whoami);
  CHECK(whoami->getObject("get")->has("security"));
  CHECK_FALSE(create->has("security"));
}
