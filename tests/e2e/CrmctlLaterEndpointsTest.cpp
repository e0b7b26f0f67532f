// crmctl against endpoints that land in later changes: the reassignment saga
// (POST /api/sagas/reassignment) and the analytics reports. Each test first
// asks the host whether the route exists; until it does, the test passes
// with a warning that says why it did not run (Catch2 v2 has no skip), and
// from the day it lands it runs for real with no change here.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

namespace {

bool skip_unless_routed(CrmctlHost& h, const std::string& method, const std::string& path) {
  if (h.has_route(method, path)) return false;
  WARN("SKIPPED: the host has no route for " << method << " " << path
                                             << " yet (it lands in a later change); this test runs once it does");
  SUCCEED("skipped: " << method << " " << path << " is not served yet");
  return true;
}

} // namespace

TEST_CASE("reassign counts with a dry run, then moves the records and follows the saga to its end",
          "[crmctl][reassign]") {
  CrmctlHost h;
  if (skip_unless_routed(h, "POST", "/api/sagas/reassignment")) return;
  h.login_admin();
  Account manager = h.auth().create_user_only("MANAGER");
  Account ann = h.auth().create_user("SALES", manager.id);
  Account bob = h.auth().create_user_only("SALES", manager.id);
  for (const char* name : {"Ada Lovelace", "Charles Babbage"}) {
    auto c = h.as(ann.access_token, "POST", "/api/customers", std::string(R"({"name":")") + name + R"("})");
    INFO(c.body);
    REQUIRE(c.status == 201);
  }

  auto dry = h.ok({"reassign", "--from", ann.email, "--to", bob.email, "--dry-run", "-o", "json"});
  auto counts = json_object(dry.out);
  auto per_kind = counts->has("counts") ? counts->getObject("counts") : counts;
  CHECK(per_kind->getValue<int>("customers") == 2);
  auto table = h.ok({"reassign", "--from", ann.email, "--to", bob.email, "--dry-run"});
  CHECK(starts_with(table.out, "KIND"));
  CHECK(contains(table.out, "customers  2"));
  CHECK(table.err == "dry run: nothing was changed\n");
  // Nothing moved.
  auto still = h.as(ann.access_token, "GET", "/api/customers");
  CHECK(still.json()->getArray("items")->size() == 2);

  auto run = h.run({"reassign", "--from", ann.email, "--to", bob.id, "--wait"});
  INFO(describe({"reassign", "--wait"}, run));
  CHECK(run.exit_code == 0);
  CHECK(contains(run.out, " COMPLETED after "));
  CHECK(contains(run.err, "reassignment "));
  CHECK(contains(run.err, "  customers"));
  auto after = h.as(h.auth().admin().access_token, "GET", "/api/customers?ownerId=" + bob.id);
  CHECK(after.json()->getArray("items")->size() == 2);

  auto started = h.ok({"reassign", "--from", bob.email, "--to", ann.email});
  CHECK(started.out.size() == 37); // the instance id and a line break
}

TEST_CASE("reports come as JSON for scripts and CSV for spreadsheets", "[crmctl][reports]") {
  CrmctlHost h;
  if (skip_unless_routed(h, "GET", "/api/reports/sales-summary")) return;
  h.login_admin();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"reports", "sales-summary", "--from", "2020-01-01", "--to", "2030-12-31", "--group-by", "user"},
           {"reports", "sales-summary", "--group-by", "month"},
           {"reports", "pipeline"},
           {"reports", "dashboard"}}) {
    auto with = [&](std::vector<std::string> a, const std::string& format) {
      a.insert(a.end(), {"-o", format});
      return h.ok(a);
    };
    auto json = with(args, "json");
    INFO(describe(args, json));
    Poco::JSON::Parser parser;
    CHECK_NOTHROW(parser.parse(json.out));
    auto csv = with(args, "csv");
    CHECK(!csv.out.empty());
    CHECK(csv.out.find('\n') != std::string::npos);
  }
}
