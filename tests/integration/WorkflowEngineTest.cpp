// The workflow engine against a running host: sagas (retry, compensation in
// reverse, exactly once each, retry and cancel from the API), a state machine
// with an event wait and a timer, triggers, runaway and escaping scripts, hot
// reload with an old instance finishing on its version, and SIGKILL of the
// host in the middle of sagas. Steps call fixture_flow, whose ledger shows
// every effect: one row per effect, so a doubled effect shows as two rows.
#include "support/Checks.hpp"
#include "support/FlowHost.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

using namespace itest;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> step_names(const Poco::JSON::Object::Ptr& detail, const std::string& status) {
  std::vector<std::string> out;
  auto steps = detail->getArray("steps");
  for (size_t i = 0; i < steps->size(); ++i) {
    auto s = steps->getObject(static_cast<unsigned>(i));
    if (text_of(s, "status") == status) out.push_back(text_of(s, "phase") + ":" + text_of(s, "name"));
  }
  return out;
}

} // namespace

TEST_CASE("a saga runs its steps in order, each once, and records them", "[workflows][saga]") {
  FlowHost f({{"three", three_steps("three")}});
  const std::string key = random_uuid();
  const std::string id = f.start("three", "{\"key\":\"" + key + "\"}");
  auto done = f.wait_for(id, "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "three"});
  CHECK(step_names(done, "COMPLETED") == std::vector<std::string>{"forward:one", "forward:two", "forward:three"});
  CHECK(text_of(done, "kind") == "saga");
  CHECK(!text_of(done, "version").empty());
  // Each step's reply is kept for the later steps and compensations.
  CHECK(done->getObject("vars")->getObject("results")->getObject("two")->getValue<std::string>("kind") == "two");

  auto list = f.host.http().get("/api/workflow-instances?name=three&status=COMPLETED", admin());
  REQUIRE(list.status == 200);
  REQUIRE(list.json()->getArray("items")->size() == 1);
  CHECK(text_of(list.json()->getArray("items")->getObject(0), "id") == id);
  auto none = f.host.http().get("/api/workflow-instances?name=three&status=FAILED", admin());
  CHECK(none.json()->getArray("items")->size() == 0);
  auto bad = require_problem(f.host.http().get("/api/workflow-instances?status=DONE", admin()), 422);
  CHECK(error_fields(bad) == std::vector<std::string>{"status"});
  require_problem(f.host.http().get("/api/workflow-instances/" + random_uuid(), admin()), 404);
  require_problem(f.host.http().get("/api/workflow-instances"), 401);
  require_problem(f.host.http().get("/api/workflow-instances", {{"Authorization", bearer(mint_token("SALES", random_uuid()))}}), 403);

  auto metrics = f.host.http().get("/metrics").body;
  CHECK(metric_value(metrics, "crm_workflow_instances", {{"workflow", "three"}, {"status", "COMPLETED"}}) == 1.0);
  CHECK(metric_value(metrics, "crm_workflow_steps", {{"workflow", "three"}}) >= 3.0);
}

TEST_CASE("a saga whose third step fails retries it, then compensates in reverse, each once - retry completes it",
          "[workflows][saga]") {
  FlowHost f({{"three", three_steps("three", "", "{ attempts = 3, delay = \"100ms\" }")}});
  f.fail("three", -1);
  const std::string key = random_uuid();
  const std::string id = f.start("three", "{\"key\":\"" + key + "\"}");
  auto compensated = f.wait_for(id, "COMPENSATED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two", "undo:one"});
  CHECK(step_names(compensated, "FAILED") ==
        std::vector<std::string>{"forward:three", "forward:three", "forward:three"});
  CHECK(contains(json_of(*compensated->getObject("error")), "injected failure of three"));

  // Fixed: retry runs the saga again from its first step, to the end.
  f.fail("three", 0);
  auto r = f.host.http().post("/api/workflow-instances/" + id + "/retry", "", admin());
  INFO(r.body);
  REQUIRE(r.status == 200);
  f.wait_for(id, "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two", "undo:one", "one", "two", "three"});
  require_problem(f.host.http().post("/api/workflow-instances/" + id + "/retry", "", admin()), 409);
  require_problem(f.host.http().post("/api/workflow-instances/" + id + "/cancel", "", admin()), 409);
}

TEST_CASE("a failing compensation leaves the saga FAILED with the step and error - retry resumes the compensation",
          "[workflows][saga]") {
  FlowHost f({{"three", three_steps("three")}});
  f.fail("three", -1);
  f.fail("undo:one", -1);
  const std::string key = random_uuid();
  const std::string id = f.start("three", "{\"key\":\"" + key + "\"}");
  auto failed = f.wait_for(id, "FAILED");
  CHECK(text_of(failed->getObject("error"), "step") == "one");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two"});

  f.fail("undo:one", 0);
  REQUIRE(f.host.http().post("/api/workflow-instances/" + id + "/retry", "", admin()).status == 200);
  f.wait_for(id, "COMPENSATED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two", "undo:one"});
}

TEST_CASE("cancelling a saga waiting to retry a step compensates what it completed", "[workflows][saga]") {
  FlowHost f({{"three", three_steps("three", "", "{ attempts = 5, delay = \"30s\" }")}});
  f.fail("two", -1);
  const std::string key = random_uuid();
  const std::string id = f.start("three", "{\"key\":\"" + key + "\"}");
  REQUIRE(eventually([&] { return step_names(f.instance(id), "FAILED").size() == 1; }, std::chrono::seconds(10)));
  auto r = f.host.http().post("/api/workflow-instances/" + id + "/cancel", "", admin());
  INFO(r.body);
  REQUIRE(r.status == 202);
  f.wait_for(id, "CANCELLED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "undo:one"});
}

TEST_CASE("a state machine waits for its event by key, and its timer escalates when none comes",
          "[workflows][state-machine]") {
  const std::string source = R"(return workflow "approve" {
  trigger = manual,
  start = "ask",
  states = {
    ask = function(ctx)
      ctx.vars.id = ctx.input.key
      ctx.vars.escalations = 0
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "asked" })
      return "waiting"
    end,
    waiting = wait {
      event = { "approval.approved", "approval.rejected" },
      key = "id",
      timeout = "2s",
      on_event = { ["approval.approved"] = "approved", ["approval.rejected"] = "rejected" },
      on_timeout = "escalate",
    },
    escalate = function(ctx)
      ctx.vars.escalations = ctx.vars.escalations + 1
      crm.call("fixture_flow.record", { key = ctx.vars.id, kind = "escalated" })
      return "waiting_long"
    end,
    waiting_long = wait {
      event = { "approval.approved", "approval.rejected" },
      key = function(ctx) return ctx.vars.id end,
      on_event = { ["approval.approved"] = "approved", ["approval.rejected"] = "rejected" },
    },
    approved = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.vars.id, kind = "approved:" .. ctx.event.data.comment })
    end,
    rejected = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.vars.id, kind = "rejected" })
      crm.emit("approval.cancelled", { approvalId = ctx.vars.id }, ctx.vars.id)
    end,
  },
})";
  FlowHost f({{"approve", source}});
  const std::string quick = random_uuid(), slow = random_uuid();
  const std::string a = f.start("approve", "{\"key\":\"" + quick + "\"}");
  const std::string b = f.start("approve", "{\"key\":\"" + slow + "\"}");
  auto waiting = f.wait_for(a, "WAITING");
  CHECK(text_of(waiting, "state") == "waiting");
  CHECK(text_of(waiting->getObject("wait"), "key") == quick);

  // An event for another key ends nothing.
  f.signal("approval.approved", random_uuid());
  auto r = f.host.http().post("/api/fixture-flow/signal",
                              "{\"type\":\"approval.approved\",\"subject\":\"" + quick + "\",\"comment\":\"ok\"}",
                              {{"Content-Type", "application/json"}});
  REQUIRE(r.status == 200);
  f.wait_for(a, "COMPLETED");
  CHECK(f.ledger(quick) == std::vector<std::string>{"asked", "approved:ok"});

  // No event for b: its timer fires, it escalates once and waits again (no timeout).
  REQUIRE(eventually([&] { return text_of(f.instance(b), "state") == "waiting_long"; }, std::chrono::seconds(15)));
  CHECK(text_of(f.instance(b), "status") == "WAITING");
  f.signal("approval.rejected", slow);
  auto done = f.wait_for(b, "COMPLETED");
  CHECK(f.ledger(slow) == std::vector<std::string>{"asked", "escalated", "rejected"});
  CHECK(done->getObject("vars")->getValue<int>("escalations") == 1);
  // What the workflow emitted went out as an event like any other.
  CHECK(f.host.sql().count("select count(*) from platform.crm_outbox where type = 'approval.cancelled'") == 1);
}

TEST_CASE("an event trigger starts one instance per event", "[workflows][trigger]") {
  const std::string source = R"(return saga "on_approved" {
  trigger = on_event "approval.approved",
  steps = {
    step "note" { call = "fixture_flow.record",
                  input = function(ctx) return { key = ctx.input.data.approvalId, kind = "triggered" } end },
  },
})";
  FlowHost f({{"on_approved", source}});
  // The trigger's consumer starts with events published from its creation on.
  REQUIRE(eventually([&] {
    return f.host.process().log().find("workflow__on_approved") != std::string::npos;
  }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string key = random_uuid();
  f.signal("approval.approved", key);
  REQUIRE(eventually([&] { return f.ledger(key).size() == 1; }, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(f.ledger(key) == std::vector<std::string>{"triggered"});
  auto list = f.host.http().get("/api/workflow-instances?name=on_approved", admin());
  REQUIRE(list.json()->getArray("items")->size() == 1);
  auto started = list.json()->getArray("items")->getObject(0);
  CHECK(!text_of(started, "triggerEventId").empty());
  // The same event again (a redelivery) starts nothing more.
  const std::string event_id = text_of(started, "triggerEventId");
  auto again = f.host.sql().query("insert into platform.workflow_instances (id, name, version, kind, status, input, "
                                  "trigger_event_id) values (gen_random_uuid(), 'on_approved', 'x', 'saga', "
                                  "'COMPLETED', '{}', $1::uuid) on conflict do nothing returning id",
                                  {event_id});
  CHECK(again.empty());
}

TEST_CASE("runaway and escaping scripts fail their own instance with a clear error - the host carries on",
          "[workflows][sandbox]") {
  auto machine = [](const std::string& name, const std::string& body) {
    return "return workflow \"" + name + "\" {\n  trigger = manual,\n  start = \"go\",\n  states = {\n    go = function(ctx)\n" +
           body + "\n    end,\n  },\n}\n";
  };
  FlowHost f({{"spin", machine("spin", "while true do end")},
              {"hog", machine("hog", "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end")},
              {"bomb", machine("bomb", "local s = string.rep('x', 100000000)")},
              {"shell", machine("shell", "os.execute('touch /tmp/pwned')")},
              {"files", machine("files", "io.open('/etc/passwd')")},
              {"loader", machine("loader", "load('return 1')()")},
              {"debugger", machine("debugger", "debug.getregistry()")},
              {"meta", machine("meta", "getmetatable('').__index = { upper = function() return 'pwned' end }")},
              {"fine", machine("fine", "crm.call('fixture_flow.record', { key = ctx.input.key, kind = 'fine' })")}},
             {{"CRM_WORKFLOWS_MAX_INSTRUCTIONS", "5000000"}, {"CRM_WORKFLOWS_MAX_MEMORY_MB", "8"}});
  std::map<std::string, std::string> expected{{"spin", "instruction budget"},
                                              {"hog", "memory cap"},
                                              {"bomb", "memory cap"},
                                              {"shell", "'os'"},
                                              {"files", "'io'"},
                                              {"loader", "'load'"},
                                              {"debugger", "'debug'"},
                                              {"meta", "boolean"}}; // the metatable is locked: getmetatable gives false
  std::map<std::string, std::string> ids;
  for (const auto& [name, why] : expected) ids[name] = f.start(name, "{}");
  for (const auto& [name, why] : expected) {
    auto failed = f.wait_for(ids[name], "FAILED", std::chrono::seconds(30));
    INFO(name << ": " << json_of(*failed->getObject("error")));
    CHECK(contains(text_of(failed->getObject("error"), "message"), why));
    CHECK(text_of(failed->getObject("error"), "state") == "go");
  }
  CHECK_FALSE(fs::exists("/tmp/pwned"));
  // The host is fine and runs the next instance; strings still behave.
  REQUIRE(f.host.http().get("/health/live").status == 200);
  const std::string key = random_uuid();
  f.wait_for(f.start("fine", "{\"key\":\"" + key + "\"}"), "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"fine"});
}

TEST_CASE("PUT deploys a version at once - a running instance finishes on its own version - an invalid PUT changes "
          "nothing",
          "[workflows][hot-reload]") {
  FlowHost f({{"three", three_steps("three", ", sleepMs = 700")}});
  const std::string old_key = random_uuid();
  const std::string old_id = f.start("three", "{\"key\":\"" + old_key + "\"}");
  const std::string v1 = text_of(f.instance(old_id), "version");

  // Version 2 writes other kinds; it goes live while the old instance runs.
  std::string v2_source = three_steps("three");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"kind = \"one\"", "kind = \"v2-one\""}, {"kind = \"two\"", "kind = \"v2-two\""},
           {"kind = \"three\"", "kind = \"v2-three\""}})
    v2_source.replace(v2_source.find(from), from.size(), to);
  auto put = f.host.http().request("PUT", "/api/workflows/three", v2_source, admin_lua());
  INFO(put.body);
  REQUIRE(put.status == 200);
  const std::string v2 = text_of(put.json(), "version");
  CHECK(v2 != v1);
  CHECK(text_of(f.instance(old_id), "status") == "RUNNING");

  const std::string new_key = random_uuid();
  const std::string new_id = f.start("three", "{\"key\":\"" + new_key + "\"}");
  f.wait_for(old_id, "COMPLETED");
  f.wait_for(new_id, "COMPLETED");
  CHECK(f.ledger(old_key) == std::vector<std::string>{"one", "two", "three"});
  CHECK(f.ledger(new_key) == std::vector<std::string>{"v2-one", "v2-two", "v2-three"});
  CHECK(text_of(f.instance(old_id), "version") == v1);
  CHECK(text_of(f.instance(new_id), "version") == v2);
  // The folder holds what was deployed, so a restart keeps it.
  std::ifstream in(f.dir() / "three.lua");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == v2_source);

  auto refused = f.host.http().request(
      "PUT", "/api/workflows/three",
      "return saga \"three\" {\n  trigger = manual,\n  steps = {\n    step \"x\" { call = \"fixture_flow.nope\" },\n  },\n}\n",
      admin_lua());
  auto problem = require_problem(refused, 422);
  CHECK(problem->getArray("errors")->getObject(0)->getValue<int>("line") == 4);
  auto detail = f.host.http().get("/api/workflows/three", admin());
  CHECK(text_of(detail.json(), "version") == v2);
  // A new workflow through PUT is created (201) and startable at once.
  auto created = f.host.http().request("PUT", "/api/workflows/fresh", three_steps("fresh"), admin_lua());
  INFO(created.body);
  CHECK(created.status == 201);
  f.wait_for(f.start("fresh", "{\"key\":\"" + random_uuid() + "\"}"), "COMPLETED");
}

TEST_CASE("deleting a workflow's file retires it - no new instance, listed RETIRED - a running instance finishes on "
          "its version",
          "[workflows][hot-reload][retire]") {
  FlowHost f({{"three", three_steps("three", ", sleepMs = 1500")}, {"other", three_steps("other")}});
  const std::string key = random_uuid();
  const std::string id = f.start("three", "{\"key\":\"" + key + "\"}");
  const std::string version = text_of(f.instance(id), "version");
  // A fresh connection each time: the host restarts in between.
  auto listed = [&f](const std::string& name = "three") -> Poco::JSON::Object::Ptr {
    auto r = Http(f.host.port()).get("/api/workflows", admin());
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i)
      if (text_of(items->getObject(static_cast<unsigned>(i)), "name") == name)
        return items->getObject(static_cast<unsigned>(i));
    return nullptr;
  };
  auto start = [&f](const std::string& name = "three") {
    return Http(f.host.port()).post("/api/workflows/" + name + "/instances",
                              "{\"input\":{\"key\":\"" + random_uuid() + "\"}}",
                              {{"Authorization", bearer(HostUnderTest::admin_token())},
                               {"Content-Type", "application/json"}});
  };

  fs::remove(f.dir() / "three.lua");
  Poco::JSON::Object::Ptr entry;
  REQUIRE(eventually([&] { return (entry = listed()) && text_of(entry, "status") == "RETIRED"; }, 10s, 100ms));
  CHECK(text_of(entry, "version") == version);
  CHECK(text_of(entry, "kind") == "saga");
  CHECK(text_of(f.instance(id), "status") == "RUNNING");
  auto refused = require_problem(start(), 409);
  CHECK(contains(text_of(refused, "detail"), "retired"));
  f.wait_for(id, "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "three"});
  CHECK(f.host.sql().count("select count(*) from platform.workflow_instances where name = 'three'") == 1);

  // Still retired after a restart; and a file removed while no host ran is
  // retired when the host comes back.
  f.host.process().stop();
  fs::remove(f.dir() / "other.lua");
  f.host.start();
  for (const std::string name : {"three", "other"}) {
    INFO(name);
    entry = listed(name);
    REQUIRE(entry);
    CHECK(text_of(entry, "status") == "RETIRED");
    require_problem(start(name), 409);
  }

  // The file back: live again.
  std::ofstream(f.dir() / "three.lua") << three_steps("three");
  REQUIRE(eventually([&] { return (entry = listed()) && text_of(entry, "status") == "LIVE"; }, 10s, 100ms));
  auto again = start();
  INFO(again.body);
  CHECK(again.status == 201);
}

TEST_CASE("a host killed with SIGKILL in the middle of sagas resumes them on restart - each effect exists once",
          "[workflows][crash]") {
  FlowHost f({{"three", three_steps("three", ", sleepMs = 400")}}, {{"CRM_WORKFLOWS_HOST_ID", "itest-crash-host"}});
  std::vector<std::pair<std::string, std::string>> started; // id, key
  for (int i = 0; i < 6; ++i) {
    const std::string key = random_uuid();
    started.emplace_back(f.start("three", "{\"key\":\"" + key + "\"}"), key);
  }
  // Killed at three different points of the sagas' progress, restarted each time.
  for (int delay_ms : {250, 650, 1100}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    f.host.process().kill();
    f.host.process().wait_for_exit(std::chrono::seconds(10));
    f.host.start();
  }
  for (const auto& [id, key] : started) {
    f.wait_for(id, "COMPLETED", std::chrono::seconds(30));
    CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "three"});
  }
}

TEST_CASE("a workflow starts another as its child and uses helpers from workflows/lib", "[workflows][child]") {
  const std::string parent = R"(local keys = require("keys")
return workflow "parent" {
  trigger = manual,
  start = "spawn",
  states = {
    spawn = function(ctx)
      ctx.vars.child = crm.start("three", { key = keys.child_of(ctx.input.key) })
      crm.log("started child " .. ctx.vars.child)
      return "note"
    end,
    note = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "parent" })
    end,
  },
})";
  FlowHost f({{"three", three_steps("three")}, {"parent", parent}});
  fs::create_directories(f.dir() / "lib");
  std::ofstream(f.dir() / "lib" / "keys.lua") << "return { child_of = function(key) return key .. '-child' end }\n";
  // The lib appeared after the start: deploy parent again so it is checked with it.
  auto put = f.host.http().request("PUT", "/api/workflows/parent", parent + "\n-- with lib\n", admin_lua());
  INFO(put.body);
  REQUIRE(put.status == 200);

  const std::string key = random_uuid();
  auto done = f.wait_for(f.start("parent", "{\"key\":\"" + key + "\"}"), "COMPLETED");
  REQUIRE(done->getArray("children")->size() == 1);
  const std::string child = done->getArray("children")->getElement<std::string>(0);
  CHECK(done->getObject("vars")->getValue<std::string>("child") == child);
  auto child_detail = f.wait_for(child, "COMPLETED");
  CHECK(text_of(child_detail, "parentId") == text_of(done, "id"));
  CHECK(f.ledger(key + "-child") == std::vector<std::string>{"one", "two", "three"});
  CHECK(f.ledger(key) == std::vector<std::string>{"parent"});
}

TEST_CASE("instances are listed newest first, a page at a time", "[workflows][list]") {
  FlowHost f({{"three", three_steps("three")}});
  std::set<std::string> started;
  for (int i = 0; i < 5; ++i) started.insert(f.start("three", "{\"key\":\"" + random_uuid() + "\"}"));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = f.host.http().get("/api/workflow-instances?name=three&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
                               admin());
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    CHECK(items->size() <= 2);
    for (size_t i = 0; i < items->size(); ++i) seen.insert(text_of(items->getObject(static_cast<unsigned>(i)), "id"));
    cursor = r.json()->isNull("nextCursor") ? "" : text_of(r.json(), "nextCursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == started);
  require_problem(f.host.http().get("/api/workflow-instances?cursor=nonsense", admin()), 422);
  require_problem(f.host.http().get("/api/workflow-instances?limit=0", admin()), 422);
}

TEST_CASE("a due timer fires on whichever host is up", "[workflows][timer]") {
  const std::string source = R"(return workflow "reminder" {
  trigger = manual,
  start = "sleep",
  states = {
    sleep = wait { event = "approval.approved", key = function(ctx) return ctx.input.key end,
                   on_event = "noted", timeout = "3s", on_timeout = "remind" },
    remind = function(ctx) crm.call("fixture_flow.record", { key = ctx.input.key, kind = "reminded" }) end,
    noted = function(ctx) end,
  },
})";
  FlowHost f({{"reminder", source}});
  auto other = f.host.another_host("crm-host-b", FlowHost::with_defaults({}));
  other->start();
  other->wait_until_live();
  const std::string key = random_uuid();
  const std::string id = f.start("reminder", "{\"key\":\"" + key + "\"}");
  f.wait_for(id, "WAITING");
  f.host.process().kill(); // the host that started it is gone before the timer is due
  Http b(other->port());
  Poco::JSON::Object::Ptr last;
  REQUIRE(eventually(
      [&] {
        auto r = b.get("/api/workflow-instances/" + id, admin());
        last = r.json();
        return text_of(last, "status") == "COMPLETED";
      },
      std::chrono::seconds(20)));
  auto ledger = b.get("/api/fixture-flow/ledger?key=" + key);
  CHECK(contains(ledger.body, "\"reminded\""));
  CHECK(ledger.json()->getArray("items")->size() == 1);
}

namespace {

// A saga whose first step fills 25 rows ten at a time (batched) and is undone
// ten at a time; `then` adds steps after it.
std::string batched_saga(const std::string& name, const std::string& fill_extra, const std::string& then = "") {
  return "return saga \"" + name + "\" {\n  trigger = manual,\n  steps = {\n"
         "    step \"fill\" { call = \"fixture_flow.fill\", compensate = \"fixture_flow.drain\", batched = true,\n"
         "      input = function(ctx) return { key = ctx.input.key, total = 25, size = 10" + fill_extra + " } end,\n"
         "      compensate_input = function(ctx) return { key = ctx.input.key, size = 10 } end },\n" +
         then + "  },\n}\n";
}

long long fills(FlowHost& f, const std::string& key) {
  long long n = 0;
  for (const auto& kind : f.ledger(key)) n += kind == "fill";
  return n;
}

} // namespace

TEST_CASE("a batched step runs batch after batch until done, each its own call, and sums what they did",
          "[workflows][saga][batches]") {
  FlowHost f({{"filling", batched_saga("filling", "")}});
  const std::string key = random_uuid();
  auto done = f.wait_for(f.start("filling", "{\"key\":\"" + key + "\"}"), "COMPLETED");
  CHECK(fills(f, key) == 25);
  CHECK(step_names(done, "COMPLETED") == std::vector<std::string>{"forward:fill #1", "forward:fill #2", "forward:fill #3"});
  auto result = done->getObject("vars")->getObject("results")->getObject("fill");
  CHECK(result->getValue<int>("filled") == 25); // 10 + 10 + 5
  CHECK(result->getValue<bool>("more") == false);
}

TEST_CASE("a saga failing after a batched step undoes it batch by batch", "[workflows][saga][batches]") {
  const std::string then = "    step \"boom\" { call = \"fixture_flow.record\",\n"
                           "      input = function(ctx) return { key = ctx.input.key, kind = \"boom\" } end },\n";
  FlowHost f({{"undo_fill", batched_saga("undo_fill", "", then)}});
  f.fail("boom", -1);
  const std::string key = random_uuid();
  auto undone = f.wait_for(f.start("undo_fill", "{\"key\":\"" + key + "\"}"), "COMPENSATED");
  CHECK(fills(f, key) == 0);
  CHECK(step_names(undone, "COMPLETED") ==
        std::vector<std::string>{"forward:fill #1", "forward:fill #2", "forward:fill #3", "compensate:fill #1",
                                 "compensate:fill #2", "compensate:fill #3"});
}

TEST_CASE("a batched step that fails part way is undone too, not only the steps before it",
          "[workflows][saga][batches]") {
  FlowHost f({{"part_fill", batched_saga("part_fill", ", failAt = 15")}});
  const std::string key = random_uuid();
  auto undone = f.wait_for(f.start("part_fill", "{\"key\":\"" + key + "\"}"), "COMPENSATED");
  CHECK(fills(f, key) == 0); // the 20 rows of its two good batches are gone
  CHECK(step_names(undone, "FAILED") == std::vector<std::string>{"forward:fill #3"});
  CHECK(step_names(undone, "COMPLETED") == std::vector<std::string>{"forward:fill #1", "forward:fill #2",
                                                                    "compensate:fill #1", "compensate:fill #2"});
}

namespace {

// A saga users start through POST /api/sagas/ledger_entry: ADMIN or a MANAGER
// for itself or its team (ownerId), the key required, a dry run that counts.
const char* kLedgerEntrySaga = R"(
return saga "ledger_entry" {
  trigger = manual,
  api = {
    roles = "ADMIN,MANAGER",
    team = { "ownerId" },
    check = function(input, caller)
      if type(input.key) ~= "string" or input.key == "" then
        return { { field = "key", message = "is required" } }
      end
      if input.key == "taken" then return { { field = "key", message = "is taken by " .. caller.role } } end
    end,
    dry_run = function(input)
      return { rows = crm.call("fixture_flow.count", {}).rows, key = input.key }
    end,
  },
  steps = {
    step "write" { call = "fixture_flow.record",
      input = function(ctx) return { key = ctx.input.key, kind = "by:" .. ctx.input.requestedBy } end },
  },
}
)";

// Its dry run tries to write: refused.
const char* kSneakySaga = R"(
return saga "sneaky" {
  trigger = manual,
  api = { dry_run = function(input) return crm.call("fixture_flow.record", { key = "x", kind = "sneaky" }) end },
  steps = { step "write" { call = "fixture_flow.record" } },
}
)";

Response start_saga(FlowHost& f, const std::string& name, const std::string& token, const std::string& body) {
  return f.host.http().post("/api/sagas/" + name, body,
                            {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}});
}

} // namespace

TEST_CASE("a saga with an api block starts through POST /api/sagas - its dry run and checks answer at once",
          "[workflows][sagas_api]") {
  FlowHost f({{"ledger_entry", kLedgerEntrySaga}, {"sneaky", kSneakySaga}, {"three", three_steps("three")}});
  const std::string admin_token = HostUnderTest::admin_token();
  const std::string key = random_uuid();

  auto dry = start_saga(f, "ledger_entry", admin_token, R"({"key":")" + key + R"(","dryRun":true})");
  INFO(dry.body);
  REQUIRE(dry.status == 200);
  CHECK(dry.json()->getValue<bool>("dryRun"));
  CHECK(dry.json()->getObject("counts")->getValue<std::string>("key") == key);
  const long long rows_before = dry.json()->getObject("counts")->getValue<long long>("rows");
  auto none = f.host.http().get("/api/workflow-instances?name=ledger_entry", admin());
  CHECK(none.json()->getArray("items")->size() == 0); // a dry run starts nothing

  CHECK(error_fields(require_problem(start_saga(f, "ledger_entry", admin_token, "{}"), 422)) ==
        std::vector<std::string>{"key"});
  auto taken = require_problem(start_saga(f, "ledger_entry", admin_token, R"({"key":"taken"})"), 422);
  CHECK(contains(json_of(*taken), "is taken by ADMIN"));
  CHECK(error_fields(require_problem(start_saga(f, "ledger_entry", admin_token, R"({"key":"k","dryRun":"yes"})"), 422)) ==
        std::vector<std::string>{"dryRun"});
  require_problem(start_saga(f, "ledger_entry", mint_token("SALES", random_uuid()), R"({"key":"k"})"), 403);
  const std::string manager = random_uuid();
  auto outside = require_problem(
      start_saga(f, "ledger_entry", mint_token("MANAGER", manager), R"({"key":"k","ownerId":")" + random_uuid() + "\"}"),
      403);
  CHECK(error_fields(outside) == std::vector<std::string>{"ownerId"});
  require_problem(f.host.http().post("/api/sagas/ledger_entry", R"({"key":"k"})"), 401);
  require_problem(start_saga(f, "three", admin_token, "{}"), 404);   // no api block
  require_problem(start_saga(f, "nothing", admin_token, "{}"), 404); // no such saga
  auto sneaky = require_problem(start_saga(f, "sneaky", admin_token, R"({"dryRun":true})"), 503);
  CHECK(contains(text_of(sneaky, "detail"), "only read operations"));
  CHECK(f.ledger("x").empty());

  // For real, by a MANAGER for itself: 202, and the saga knows who asked.
  auto started = start_saga(f, "ledger_entry", mint_token("MANAGER", manager),
                            R"({"key":")" + key + R"(","ownerId":")" + manager + "\"}");
  INFO(started.body);
  REQUIRE(started.status == 202);
  const std::string id = text_of(started.json(), "workflowInstanceId");
  f.wait_for(id, "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"by:" + manager});
  auto after = start_saga(f, "ledger_entry", admin_token, R"({"key":")" + key + R"(","dryRun":true})");
  CHECK(after.json()->getObject("counts")->getValue<long long>("rows") >= rows_before + 1);
}

TEST_CASE("a parent waits for its child to finish and learns how it ended", "[workflows][child]") {
  const std::string parent = R"(return workflow "waiting_parent" {
  trigger = manual,
  start = "spawn",
  states = {
    spawn = function(ctx)
      ctx.vars.child = crm.start(ctx.input.child, { key = ctx.input.key })
      return "child_running"
    end,
    child_running = wait { event = "workflow.finished", key = "child", match = "subject", on_event = "after" },
    after = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "child " .. ctx.event.data.status })
    end,
  },
})";
  const std::string boom = "    step \"boom\" { call = \"fixture_flow.record\",\n"
                           "      input = function(ctx) return { key = ctx.input.key, kind = \"boom\" } end },\n";
  FlowHost f({{"three", three_steps("three")}, {"waiting_parent", parent}, {"undo_fill", batched_saga("undo_fill", "", boom)}});
  f.fail("boom", -1);

  const std::string ok = random_uuid();
  f.wait_for(f.start("waiting_parent", R"({"child":"three","key":")" + ok + "\"}"), "COMPLETED");
  CHECK(f.ledger(ok) == std::vector<std::string>{"one", "two", "three", "child COMPLETED"});

  const std::string undone = random_uuid();
  f.wait_for(f.start("waiting_parent", R"({"child":"undo_fill","key":")" + undone + "\"}"), "COMPLETED");
  const auto kinds = f.ledger(undone);
  REQUIRE_FALSE(kinds.empty());
  CHECK(kinds.back() == "child COMPENSATED");
}
