// Exactly-once effects proven at the exact moment that needs it: the host dies
// (a test crash point, core/CrashPoints.hpp) right after an operation's
// transaction committed and before the engine recorded the step, or before a
// consumer acked the events it committed. Restarted, the work runs again:
// the workflow call's idempotency key, and the event inbox, must make that
// second run have no effect. Each effect is a row of its own (fixture_flow's
// ledger, fixture_pulse's handled rows), so a second effect shows.
#include "support/Checks.hpp"
#include "support/FlowHost.hpp"
#include "support/HostUnderTest.hpp"

#include "core/CrashPoints.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace itest;

namespace {

// False (and says why the test does nothing) in a build without crash points.
bool crash_points_built() {
  if (crm::core::crash_points_built()) return true;
  WARN("skipped: this build does not honour test crash points; configure with -DCRM_CRASH_POINTS=ON "
       "(scripts/test does)");
  return false;
}

// The host died at its crash point; it is started again without it, and the instance ends `status`.
// Starts `workflow` on a host set to die at a crash point. Its first calls
// may outrun the reply, and the host die before it answers: then the id is
// empty, and crash_then_restart finds the instance by its name.
std::string start_racing_the_crash(FlowHost& f, const std::string& workflow, const std::string& key) {
  try {
    return f.start(workflow, "{\"key\":\"" + key + "\"}");
  } catch (const std::exception&) {
    return {};
  }
}

// The host died at its crash point; it is started again without it, and the
// instance (the only one of `workflow`) ends `status`.
auto crash_then_restart(FlowHost& f, std::string id, const std::string& status, const std::string& workflow) {
  REQUIRE(f.host.process().wait_for_exit(std::chrono::seconds(20)) == 86);
  f.host.process().set_env("CRM_TEST_CRASH_AT", "");
  f.host.start();
  if (id.empty()) {
    auto r = f.host.http().get("/api/workflow-instances?name=" + workflow, admin());
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    REQUIRE(items);
    REQUIRE(items->size() == 1);
    id = items->getObject(0)->getValue<std::string>("id");
  }
  return f.wait_for(id, status, std::chrono::seconds(30));
}

std::string metrics_of(HostUnderTest& host) {
  Http http(host.port());
  return http.get("/metrics").body;
}

} // namespace

TEST_CASE("a saga step's call that committed just before the host died is not made again", "[workflows][crash-point]") {
  if (!crash_points_built()) return;
  // Dies right after step two's call committed, before the step was recorded.
  FlowHost f({{"three", three_steps("three")}},
             {{"CRM_TEST_CRASH_AT", "workflow.call_committed:2"}, {"CRM_WORKFLOWS_HOST_ID", "itest-crash-point"}});
  const std::string key = random_uuid();
  const std::string id = start_racing_the_crash(f, "three", key);
  crash_then_restart(f, id, "COMPLETED", "three");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "three"});
}

TEST_CASE("a batched step's call that committed just before the host died is not made again",
          "[workflows][crash-point]") {
  if (!crash_points_built()) return;
  // 25 rows ten at a time: three calls, each writing a "call" row too. The
  // host dies right after the second batch committed, before it was
  // recorded. Made again, that call would fill the last 5 rows in place of
  // the third batch: the rows would still be 25, but the engine would have
  // recorded two batches summing 15 for three calls.
  const std::string saga = "return saga \"filling\" {\n  trigger = manual,\n  steps = {\n"
                           "    step \"fill\" { call = \"fixture_flow.fill\", batched = true,\n"
                           "      input = function(ctx) return { key = ctx.input.key, total = 25, size = 10, "
                           "calls = true } end },\n  },\n}\n";
  FlowHost f({{"filling", saga}},
             {{"CRM_TEST_CRASH_AT", "workflow.call_committed:2"}, {"CRM_WORKFLOWS_HOST_ID", "itest-crash-point"}});
  const std::string key = random_uuid();
  const std::string id = start_racing_the_crash(f, "filling", key);
  auto done = crash_then_restart(f, id, "COMPLETED", "filling");
  long long fills = 0, calls = 0;
  for (const auto& kind : f.ledger(key)) {
    fills += kind == "fill";
    calls += kind == "call";
  }
  CHECK(fills == 25);
  CHECK(calls == 3);
  CHECK(done->getObject("vars")->getObject("results")->getObject("fill")->getValue<int>("filled") == 25);
}

TEST_CASE("a compensation that committed just before the host died is not made again", "[workflows][crash-point]") {
  if (!crash_points_built()) return;
  // Step three fails for good; the host dies right after the first
  // compensation (undo:two, the third call that commits) committed.
  FlowHost f({{"three", three_steps("three")}},
             {{"CRM_TEST_CRASH_AT", "workflow.call_committed:3"}, {"CRM_WORKFLOWS_HOST_ID", "itest-crash-point"}});
  f.fail("three", -1);
  const std::string key = random_uuid();
  const std::string id = start_racing_the_crash(f, "three", key);
  crash_then_restart(f, id, "COMPENSATED", "three");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two", "undo:one"});
}

TEST_CASE("a state machine's call that committed just before the host died is not made again",
          "[workflows][crash-point]") {
  if (!crash_points_built()) return;
  const std::string source = R"(return workflow "calls" {
  trigger = manual,
  start = "first",
  states = {
    first = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "a" })
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "b" })
      return "second"
    end,
    second = function(ctx)
      crm.call("fixture_flow.record", { key = ctx.input.key, kind = "c" })
    end,
  },
})";
  // Dies right after the second call of the first state committed: the state
  // runs again from its start, its calls with the same keys.
  FlowHost f({{"calls", source}},
             {{"CRM_TEST_CRASH_AT", "workflow.call_committed:2"}, {"CRM_WORKFLOWS_HOST_ID", "itest-crash-point"}});
  const std::string key = random_uuid();
  const std::string id = start_racing_the_crash(f, "calls", key);
  crash_then_restart(f, id, "COMPLETED", "calls");
  CHECK(f.ledger(key) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("events a consumer committed just before the host died, unacknowledged, are not handled again",
          "[events][crash-point]") {
  if (!crash_points_built()) return;
  // A short ack wait: the events the dead host never acked come again soon.
  HostUnderTest host({"fixture_pulse"}, {{"CRM_TEST_CRASH_AT", "events.batch_committed"},
                                         {"CRM_EVENTS_ACK_WAIT_MS", "1500"}});
  auto sql = host.sql();
  auto r = host.http().post("/api/fixture-pulse/emit", R"({"run":"crash","from":0,"count":20})");
  REQUIRE(r.status == 200);
  REQUIRE(host.process().wait_for_exit(std::chrono::seconds(20)) == 86);
  // What committed before the crash is there once...
  const long long before = sql.count("select count(*) from fixture_pulse.handled where run = 'crash'");
  CHECK(before > 0);
  host.process().set_env("CRM_TEST_CRASH_AT", "");
  host.start();
  // ...and stays once when the unacknowledged events come again: the
  // restarted host finds each of them in the inbox.
  REQUIRE(eventually([&] {
    const auto seen = metric_value(metrics_of(host), "crm_consumer_duplicates", {{"consumer", "fixture_pulse__record"}});
    return seen && *seen >= static_cast<double>(before);
  }, std::chrono::seconds(30)));
  CHECK(sql.count("select count(distinct seq) from fixture_pulse.handled where run = 'crash'") == 20);
  CHECK(sql.count("select count(*) from fixture_pulse.handled where run = 'crash'") == 20);
}
