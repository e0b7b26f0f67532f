// crmctl workflows and sagas: validate reports a broken file like a compiler
// (FILE:LINE: message, exit 1), deploy makes a good one live, instances and
// sagas are listed and followed, and Ctrl-C stops following without
// stopping the workflow.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

using namespace e2e;

namespace {

// A workflow that waits for an approval that never comes (for an hour).
const char* kHold = R"(-- e2e: waits
return workflow "e2e_hold" {
  trigger = manual,
  start = "hold",
  states = {
    hold = wait { event = "approval.approved", key = function(ctx) return ctx.input.key end,
                  on_event = "done", timeout = "1h", on_timeout = "done" },
    done = function(ctx) end,
  },
}
)";

// Line 4 calls an operation no plugin has.
const char* kUnknownOperation = R"(return saga "e2e_broken" {
  trigger = manual,
  steps = {
    step "first" { call = "customer.no_such_operation" },
  },
}
)";

// Line 3 is not Lua.
const char* kSyntaxError =
    "return saga \"e2e_syntax\" {\n  trigger = manual,\n  steps = { step \"a\" { call = } },\n}\n";

void wait_for_status(CrmctlHost& h, const std::string& id, const std::string& status) {
  std::string last;
  const bool reached = eventually(
      [&] {
        auto r = h.as(h.auth().admin().access_token, "GET", "/api/workflow-instances/" + id);
        last = r.body;
        return r.status == 200 && text_of(r.json(), "status") == status;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100));
  INFO("instance " << id << ": " << last);
  REQUIRE(reached);
}

} // namespace

TEST_CASE("workflows validate reports a broken file like a compiler and deploy makes a good one live",
          "[crmctl][workflows]") {
  CrmctlHost h;
  h.login_admin();
  const fs::path dir = make_temp_dir("crmctl-e2e-lua-");
  const fs::path broken = dir / "e2e_broken.lua", syntax = dir / "e2e_syntax.lua", hold = dir / "e2e_hold.lua";
  write_file(broken, kUnknownOperation);
  write_file(syntax, kSyntaxError);
  write_file(hold, kHold);

  auto refused = h.run({"workflows", "validate", broken.string()});
  INFO(describe({"workflows", "validate", broken.string()}, refused));
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  auto errors = lines_of(refused.err);
  REQUIRE(errors.size() == 1);
  CHECK(starts_with(errors[0], broken.string() + ":4: "));
  CHECK(contains(errors[0], "customer.no_such_operation"));

  auto not_lua = h.run({"workflows", "validate", syntax.string()});
  INFO(describe({"workflows", "validate", syntax.string()}, not_lua));
  CHECK(not_lua.exit_code == 1);
  CHECK(starts_with(not_lua.err, syntax.string() + ":3: "));

  // Several files: each reported, exit 1 if any has errors.
  auto both = h.run({"workflows", "validate", hold.string(), broken.string()});
  CHECK(both.exit_code == 1);
  CHECK(both.out == hold.string() + ": ok (state_machine, trigger manual, 2 states)\n");
  CHECK(starts_with(both.err, broken.string() + ":4: "));

  auto ok = h.ok({"workflows", "validate", hold.string()});
  CHECK(ok.out == hold.string() + ": ok (state_machine, trigger manual, 2 states)\n");
  CHECK(ok.err.empty());

  auto as_json = h.run({"workflows", "validate", broken.string(), "-o", "json"});
  CHECK(as_json.exit_code == 1);
  auto problem = json_object(as_json.out);
  CHECK(problem->getArray("errors")->getObject(0)->getValue<int>("line") == 4);

  auto not_deployed = h.run({"workflows", "deploy", broken.string()});
  CHECK(not_deployed.exit_code == 1);
  CHECK(starts_with(not_deployed.err, broken.string() + ":4: "));
  CHECK(contains(not_deployed.err, "e2e_broken: not deployed; the live version is unchanged"));

  auto deployed = h.ok({"workflows", "deploy", hold.string()});
  CHECK(starts_with(deployed.out, "Deployed e2e_hold version "));
  CHECK(contains(deployed.out, "(new workflow); live now"));

  auto list = lines_of(h.ok({"workflows", "list", "-o", "csv"}).out);
  REQUIRE(!list.empty());
  CHECK(list[0] == "name,kind,trigger,version,status,errors,file");
  bool listed = false;
  for (const auto& line : list)
    if (starts_with(line, "e2e_hold,state_machine,manual,")) listed = contains(line, ",LIVE,,");
  CHECK(listed);
  CHECK(h.ok({"workflows", "show", "e2e_hold", "--source"}).out == kHold);
}

TEST_CASE("sagas are listed and followed, and Ctrl-C stops following but not the workflow", "[crmctl][sagas]") {
  CrmctlHost h;
  h.login_admin();
  const std::string admin = h.auth().admin().access_token;

  SECTION("a new customer's onboarding saga is listed, shown and watched to its end") {
    auto c = h.as(admin, "POST", "/api/customers", R"({"name":"Grace Hopper"})");
    REQUIRE(c.status == 201);
    std::string id;
    REQUIRE(eventually(
        [&] {
          auto r = h.run({"sagas", "list", "--name", "customer_onboarding", "--status", "COMPLETED", "-o", "json"});
          if (r.exit_code != 0) return false;
          auto items = json_array(r.out);
          if (items->size() != 1) return false;
          id = text_of(items->getObject(0), "id");
          return true;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(200)));

    auto table = lines_of(h.ok({"sagas", "list"}).out);
    REQUIRE(table.size() == 2);
    CHECK(starts_with(table[0], "ID" + std::string(36, ' ') + "NAME" + std::string(17, ' ') + "STATUS" +
                                    std::string(5, ' ') + "STEP"));
    CHECK(starts_with(table[1], id + "  customer_onboarding  COMPLETED  "));

    auto shown = h.ok({"sagas", "show", id}).out;
    CHECK(contains(shown, "Status:    COMPLETED"));
    CHECK(contains(shown, "follow_up"));

    auto watched = h.ok({"sagas", "watch", id});
    CHECK(starts_with(watched.out, "customer_onboarding " + id + " COMPLETED after "));
    auto steps = lines_of(watched.err);
    REQUIRE(steps.size() == 1);
    CHECK(starts_with(steps[0], "  follow_up             COMPLETED   attempt 1  "));

    auto none = h.ok({"sagas", "list", "--status", "FAILED"});
    CHECK(none.out.empty());
    CHECK(none.err == "no sagas\n");
  }

  SECTION("Ctrl-C while watching leaves the instance running") {
    const fs::path hold = make_temp_dir("crmctl-e2e-lua-") / "e2e_hold.lua";
    write_file(hold, kHold);
    h.ok({"workflows", "deploy", hold.string()});
    auto started = h.as(admin, "POST", "/api/workflows/e2e_hold/instances", R"({"input":{"key":"k-1"}})");
    INFO(started.body);
    REQUIRE(started.status == 201);
    const std::string id = text_of(started.json(), "id");
    wait_for_status(h, id, "WAITING");

    auto listed = json_array(h.ok({"workflows", "instances", "--name", "e2e_hold", "-o", "json"}).out);
    REQUIRE(listed->size() == 1);
    CHECK(text_of(listed->getObject(0), "status") == "WAITING");

    CrmctlOptions o;
    o.env["XDG_CONFIG_HOME"] = h.config_home().string();
    o.env["CRMCTL_SERVER"] = h.server();
    CrmctlProcess watch({"sagas", "watch", id}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    watch.signal(SIGINT);
    auto r = watch.wait(std::chrono::seconds(5));
    INFO(describe({"sagas", "watch", id}, r));
    CHECK(r.exit_code == 130);
    CHECK(r.out.empty());
    CHECK(r.err == "crmctl: stopped following; e2e_hold " + id +
                       " keeps running on the server (see: crmctl sagas show " + id + ")\n");
    wait_for_status(h, id, "WAITING");

    auto cancelled = h.ok({"sagas", "cancel", id, "--wait"});
    CHECK(starts_with(cancelled.out, "e2e_hold " + id + " CANCELLED after "));
    auto again = h.run({"sagas", "cancel", id});
    CHECK(again.exit_code == 2);
    CHECK(starts_with(again.err, "crmctl: Conflict (409): the instance is CANCELLED already"));
  }
}
