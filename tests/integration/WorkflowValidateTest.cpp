// The workflow endpoints against a running host: validation checks the loaded
// plugins' operations and event types; the folder is watched and versioned.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace itest;
namespace fs = std::filesystem;

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

namespace {

void write_file(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  std::ofstream(tmp) << text;
  fs::rename(tmp, path); // the watcher never sees half a file
}

std::string saga_source(const std::string& step) {
  return "return saga \"make_items\" {\n  trigger = manual,\n  steps = {\n    step \"" + step +
         "\" { call = \"fixture_c.create_item\" },\n  },\n}\n";
}

Poco::JSON::Object::Ptr workflow_entry(HostUnderTest& host) {
  auto r = host.http().get("/api/workflows", {{"Authorization", bearer(HostUnderTest::admin_token())}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto o = items->getObject(static_cast<unsigned>(i));
    if (text_of(o, "name") == "make_items") return o;
  }
  return nullptr;
}

} // namespace

TEST_CASE("a workflow file goes live, a valid edit replaces it, an invalid edit is refused and the old one stays",
          "[workflows][hot-reload]") {
  const fs::path dir = make_temp_dir() / "workflows";
  fs::create_directories(dir);
  write_file(dir / "make_items.lua", saga_source("first"));
  HostUnderTest host({"fixture_c"}, {{"CRM_WORKFLOWS_DIR", dir.string()}, {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"}});

  auto entry = workflow_entry(host);
  REQUIRE(entry);
  CHECK(text_of(entry, "status") == "LIVE");
  CHECK(text_of(entry, "kind") == "saga");
  const std::string v1 = text_of(entry, "version");
  REQUIRE(!v1.empty());

  write_file(dir / "make_items.lua", saga_source("second"));
  std::string v2;
  REQUIRE(eventually(
      [&] {
        auto e = workflow_entry(host);
        v2 = e ? text_of(e, "version") : "";
        return !v2.empty() && v2 != v1;
      },
      std::chrono::seconds(10)));

  write_file(dir / "make_items.lua", "return saga \"make_items\" {\n  trigger = manual,\n  steps = { step \"x\" { call = \"fixture_c.nope\" } },\n}\n");
  Poco::JSON::Object::Ptr refused;
  REQUIRE(eventually(
      [&] {
        refused = workflow_entry(host);
        return refused && text_of(refused, "status") == "INVALID";
      },
      std::chrono::seconds(10)));
  CHECK(text_of(refused, "version") == v2); // the previous version stays live
  auto errors = refused->getArray("errors");
  REQUIRE(errors->size() == 1);
  CHECK(errors->getObject(0)->getValue<int>("line") == 3);

  auto detail = host.http().get("/api/workflows/make_items", {{"Authorization", bearer(HostUnderTest::admin_token())}});
  INFO(detail.body);
  REQUIRE(detail.status == 200);
  CHECK(detail.json()->getArray("versions")->size() == 2);
  CHECK(contains(text_of(detail.json(), "source"), "second"));
  require_problem(host.http().get("/api/workflows/unknown", {{"Authorization", bearer(HostUnderTest::admin_token())}}),
                  404);
}
