// The saga features of the workflow engine against a running host:
// parallel groups of steps (their calls overlap, each effect once, one
// failing undoes the others that completed and then the earlier steps, a
// host killed inside a group finishes it on restart), retry policies that
// retry only the statuses they name with growing waits, ctx.failure in the
// compensations, and the validation of all of it with line numbers. Steps
// call fixture_flow, whose ledger shows every effect once per row.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

using namespace itest;
namespace fs = std::filesystem;

namespace {

Headers admin() { return {{"Authorization", bearer(HostUnderTest::admin_token())}}; }

// A host with fixture_flow and the given workflow files in its folder.
struct SagaHost {
  explicit SagaHost(const std::map<std::string, std::string>& files, const std::string& host_id = "")
      : host({"fixture_flow"},
             {{"CRM_WORKFLOWS_POLL_MS", "100"},
              {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"},
              {"CRM_WORKFLOWS_HOST_ID", host_id.empty() ? "itest-" + random_uuid().substr(0, 8) : host_id}},
             HostUnderTest::Start::Later) {
    fs::create_directories(host.dir() / "workflows");
    for (const auto& [name, source] : files) std::ofstream(host.dir() / "workflows" / (name + ".lua")) << source;
    host.start();
  }

  std::string start(const std::string& workflow, const std::string& key) {
    auto r = host.http().post("/api/workflows/" + workflow + "/instances", "{\"input\":{\"key\":\"" + key + "\"}}",
                              {{"Authorization", bearer(HostUnderTest::admin_token())},
                               {"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }
  Poco::JSON::Object::Ptr instance(const std::string& id) {
    Http http(host.port(), std::chrono::seconds(2));
    auto r = http.get("/api/workflow-instances/" + id, admin());
    return r.status == 200 ? r.json() : nullptr;
  }
  Poco::JSON::Object::Ptr wait_until(const std::string& id, const std::function<bool(Poco::JSON::Object::Ptr)>& done,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Poco::JSON::Object::Ptr last;
    const bool reached = eventually(
        [&] {
          try {
            auto now = instance(id);
            if (now) last = now;
            return now && done(now);
          } catch (const std::exception&) {
            return false;
          }
        },
        timeout, std::chrono::milliseconds(50));
    INFO("instance " << id << ": " << (last ? json_of(*last) : std::string("never read")) << "\n"
                     << host.process().log_tail(40));
    REQUIRE(reached);
    return last;
  }
  Poco::JSON::Object::Ptr wait_for(const std::string& id, const std::string& status) {
    return wait_until(id, [&](const Poco::JSON::Object::Ptr& o) { return text_of(o, "status") == status; });
  }
  std::vector<std::string> ledger(const std::string& key) {
    auto r = host.http().get("/api/fixture-flow/ledger?key=" + key);
    INFO(r.body);
    REQUIRE(r.status == 200);
    std::vector<std::string> kinds;
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i)
      kinds.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("kind"));
    return kinds;
  }
  void fail(const std::string& kind, int times, const std::string& status = "UNAVAILABLE") {
    auto r = host.http().post("/api/fixture-flow/failures",
                              "{\"kind\":\"" + kind + "\",\"times\":" + std::to_string(times) + ",\"status\":\"" +
                                  status + "\"}",
                              {{"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
  }

  HostUnderTest host;
};

// "phase:name" of the instance's step records with `status`, in the order recorded.
std::vector<std::string> records(const Poco::JSON::Object::Ptr& detail, const std::string& status) {
  std::vector<std::string> out;
  auto steps = detail->getArray("steps");
  for (size_t i = 0; i < steps->size(); ++i) {
    auto s = steps->getObject(static_cast<unsigned>(i));
    if (text_of(s, "status") == status) out.push_back(text_of(s, "phase") + ":" + text_of(s, "name"));
  }
  return out;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Milliseconds of the day in "2026-12-07T09:12:21.123Z" (the tests run well within a day).
long long ms_of_day(const std::string& rfc3339) {
  REQUIRE(rfc3339.size() >= 23);
  const int h = std::stoi(rfc3339.substr(11, 2)), m = std::stoi(rfc3339.substr(14, 2)),
            s = std::stoi(rfc3339.substr(17, 2)), ms = std::stoi(rfc3339.substr(20, 3));
  return ((h * 60LL + m) * 60 + s) * 1000 + ms;
}

// A step of fixture_flow.record writing `kind`, undone by fixture_flow.undo;
// `extra` goes into the step's table.
std::string record_step(const std::string& name, const std::string& extra = "", const std::string& input_extra = "") {
  return "step \"" + name + "\" { call = \"fixture_flow.record\", compensate = \"fixture_flow.undo\",\n" +
         "      input = function(ctx) return { key = ctx.input.key, kind = \"" + name + "\"" + input_extra +
         " } end" + (extra.empty() ? "" : ",\n      " + extra) + " }";
}

// A compensation input naming the failure it undoes: "<step> for <failed step>/<status>".
std::string undo_naming_failure(const std::string& name) {
  return "compensate_input = function(ctx) return { key = ctx.input.key, kind = \"" + name +
         " for \" .. ctx.failure.step .. \"/\" .. ctx.failure.status } end";
}

} // namespace

TEST_CASE("the steps of a parallel group run at the same time, each once, and later steps read their results",
          "[workflows][saga-parallel]") {
  // Each of the two meets only succeeds while the other is being called too.
  const std::string fan = R"(return saga "fan" {
  trigger = manual,
  steps = {
    step "first" { call = "fixture_flow.record", input = function(ctx) return { key = ctx.input.key, kind = "first" } end },
    parallel {
      step "left" { call = "fixture_flow.meet",
        input = function(ctx) return { key = ctx.input.key, kind = "left", partners = 2 } end },
      step "right" { call = "fixture_flow.meet",
        input = function(ctx) return { key = ctx.input.key, kind = "right", partners = 2 } end },
    },
    step "last" { call = "fixture_flow.record",
      input = function(ctx)
        return { key = ctx.input.key, kind = "last after " .. ctx.results.left.kind .. "+" .. ctx.results.right.kind }
      end },
  },
}
)";
  SagaHost f({{"fan", fan}});
  const std::string key = random_uuid();
  const std::string id = f.start("fan", key);
  auto done = f.wait_for(id, "COMPLETED");
  const auto ledger = f.ledger(key);
  REQUIRE(ledger.size() == 4);
  CHECK(ledger.front() == "first");
  CHECK(sorted({ledger[1], ledger[2]}) == std::vector<std::string>{"left", "right"});
  CHECK(ledger.back() == "last after left+right");
  CHECK(records(done, "FAILED").empty());
  const auto completed = records(done, "COMPLETED");
  REQUIRE(completed.size() == 4);
  CHECK(completed.front() == "forward:first");
  CHECK(sorted({completed[1], completed[2]}) == std::vector<std::string>{"forward:left", "forward:right"});
  CHECK(completed.back() == "forward:last");
  CHECK(done->getObject("vars")->getObject("results")->getObject("right")->getValue<std::string>("kind") == "right");
}

TEST_CASE("a parallel step failing for good undoes the group's completed steps, then the earlier ones in reverse - "
          "the compensations see ctx.failure",
          "[workflows][saga-parallel]") {
  // "slow" is still running when "broken" has failed twice: it is awaited, then undone.
  const std::string source = "return saga \"split\" {\n  trigger = manual,\n  steps = {\n    " +
                             record_step("first", undo_naming_failure("first")) + ",\n    parallel {\n      " +
                             record_step("slow", undo_naming_failure("slow"), ", sleepMs = 700") + ",\n      " +
                             record_step("broken", "retry = { attempts = 2, delay = \"50ms\" }") +
                             ",\n    },\n    " + record_step("last") + ",\n  },\n}\n";
  SagaHost f({{"split", source}});
  f.fail("broken", -1, "CONFLICT");
  const std::string key = random_uuid();
  const std::string id = f.start("split", key);
  auto compensated = f.wait_for(id, "COMPENSATED");
  CHECK(f.ledger(key) == std::vector<std::string>{"first", "slow", "undo:slow for broken/CONFLICT",
                                                   "undo:first for broken/CONFLICT"});
  CHECK(records(compensated, "FAILED") == std::vector<std::string>{"forward:broken", "forward:broken"});
  CHECK(records(compensated, "COMPLETED") ==
        std::vector<std::string>{"forward:first", "forward:slow", "compensate:slow", "compensate:first"});
  CHECK(text_of(compensated->getObject("error"), "step") == "broken");
  auto failure = compensated->getObject("vars")->getObject("failure");
  REQUIRE(failure);
  CHECK(text_of(failure, "status") == "CONFLICT");
  CHECK(contains(text_of(failure, "message"), "injected failure of broken"));
}

TEST_CASE("a host killed while a parallel step is in flight finishes the group on restart - each effect once",
          "[workflows][saga-parallel][crash]") {
  const std::string source = "return saga \"crashy\" {\n  trigger = manual,\n  steps = {\n    parallel {\n      " +
                             record_step("quick") + ",\n      " + record_step("slow", "", ", sleepMs = 2500") +
                             ",\n    },\n    " + record_step("last") + ",\n  },\n}\n";
  SagaHost f({{"crashy", source}}, "itest-parallel-crash");
  const std::string key = random_uuid();
  const std::string id = f.start("crashy", key);
  // Killed once "quick" is recorded and "slow" is still sleeping in its call.
  f.wait_until(id, [](const Poco::JSON::Object::Ptr& o) {
    return records(o, "COMPLETED") == std::vector<std::string>{"forward:quick"};
  });
  REQUIRE(f.ledger(key) == std::vector<std::string>{"quick"});
  f.host.process().kill();
  f.host.process().wait_for_exit(std::chrono::seconds(10));
  f.host.start();
  auto done = f.wait_for(id, "COMPLETED");
  CHECK(sorted(f.ledger(key)) == std::vector<std::string>{"last", "quick", "slow"});
  CHECK(f.ledger(key).back() == "last");
  // "quick" was not called again; "slow" was, under its first key.
  CHECK(records(done, "COMPLETED") == std::vector<std::string>{"forward:quick", "forward:slow", "forward:last"});
}

TEST_CASE("a retry policy retries only the statuses in `on`, its waits growing by backoff up to max_delay",
          "[workflows][saga-parallel][retry]") {
  const std::string source = R"(return saga "flaky" {
  trigger = manual,
  steps = {
    step "flaky" { call = "fixture_flow.record", input = function(ctx) return { key = ctx.input.key, kind = "flaky" } end,
      retry = { attempts = 6, delay = "200ms", backoff = 2, max_delay = "1s", on = { "UNAVAILABLE" } } },
  },
}
)";
  SagaHost f({{"flaky", source}});
  f.fail("flaky", 4, "UNAVAILABLE");
  const std::string key = random_uuid();
  const std::string id = f.start("flaky", key);
  auto done = f.wait_for(id, "COMPLETED");
  CHECK(f.ledger(key) == std::vector<std::string>{"flaky"});
  auto steps = done->getArray("steps");
  REQUIRE(steps->size() == 5);
  std::vector<long long> gaps;
  for (unsigned i = 1; i < steps->size(); ++i)
    gaps.push_back(ms_of_day(text_of(steps->getObject(i), "startedAt")) -
                   ms_of_day(text_of(steps->getObject(i - 1), "startedAt")));
  INFO("gaps between attempts (ms): " << gaps[0] << " " << gaps[1] << " " << gaps[2] << " " << gaps[3]);
  // 200, 400, 800, then 1600 capped at 1000.
  CHECK(gaps[0] >= 200);
  CHECK(gaps[1] >= 400);
  CHECK(gaps[2] >= 800);
  CHECK(gaps[3] >= 1000);
  CHECK(gaps[3] < 1600);

  // A CONFLICT is not in `on`: the first one ends the step.
  f.fail("flaky", -1, "CONFLICT");
  const std::string key2 = random_uuid();
  const std::string id2 = f.start("flaky", key2);
  auto compensated = f.wait_for(id2, "COMPENSATED");
  CHECK(records(compensated, "FAILED") == std::vector<std::string>{"forward:flaky"});
  CHECK(f.ledger(key2).empty());
}

TEST_CASE("ctx.failure reaches the compensations, survives a restart, and says CANCELLED after a cancel",
          "[workflows][saga-parallel]") {
  const std::string three = "return saga \"three\" {\n  trigger = manual,\n  steps = {\n    " +
                            record_step("one", undo_naming_failure("one")) + ",\n    " +
                            record_step("two", undo_naming_failure("two") +
                                                   ", retry = { attempts = 5, delay = \"30s\", on = { \"UNAVAILABLE\" } }") +
                            ",\n    " + record_step("three", undo_naming_failure("three")) + ",\n  },\n}\n";
  SagaHost f({{"three", three}}, "itest-failure-" + random_uuid().substr(0, 8));
  // "three" fails with CONFLICT; undoing "one" fails too: the saga is FAILED, compensating.
  f.fail("three", -1, "CONFLICT");
  f.fail("undo:one for three/CONFLICT", -1);
  const std::string key = random_uuid();
  const std::string id = f.start("three", key);
  f.wait_for(id, "FAILED");
  CHECK(f.ledger(key) == std::vector<std::string>{"one", "two", "undo:two for three/CONFLICT"});

  // After a restart (the injected failures are gone with the process), the
  // retried compensation still knows why it undoes.
  f.host.process().kill();
  f.host.process().wait_for_exit(std::chrono::seconds(10));
  f.host.start();
  auto r = f.host.http().post("/api/workflow-instances/" + id + "/retry", "", admin());
  INFO(r.body);
  REQUIRE(r.status == 200);
  f.wait_for(id, "COMPENSATED");
  CHECK(f.ledger(key) ==
        std::vector<std::string>{"one", "two", "undo:two for three/CONFLICT", "undo:one for three/CONFLICT"});

  // Cancelled while "two" waits 30 s for its next try.
  f.fail("two", -1, "UNAVAILABLE");
  const std::string key2 = random_uuid();
  const std::string id2 = f.start("three", key2);
  f.wait_until(id2, [](const Poco::JSON::Object::Ptr& o) { return !records(o, "FAILED").empty(); });
  REQUIRE(f.host.http().post("/api/workflow-instances/" + id2 + "/cancel", "", admin()).status == 202);
  f.wait_for(id2, "CANCELLED");
  CHECK(f.ledger(key2) == std::vector<std::string>{"one", "undo:one for two/CANCELLED"});
}

TEST_CASE("parallel groups and retry policies are validated with line numbers", "[workflows][saga-parallel][validate]") {
  HostUnderTest host({"fixture_flow"});
  const Headers lua{{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "text/x-lua"}};
  const std::string bad = R"(return saga "bad" {
  trigger = manual,
  steps = {
    step "one" { call = "fixture_flow.record" },
    parallel {},
    parallel {
      step "two" { call = "fixture_flow.record" },
      parallel { step "three" { call = "fixture_flow.record" } },
      step "one" { call = "fixture_flow.nope" },
      step "fill" { call = "fixture_flow.fill", batched = true },
    },
    step "five" { call = "fixture_flow.record",
      retry = { attempts = 3, delay = "soon", backoff = 0.5, max_delay = "forever", on = { "UNAVAILABLE", "TIMEOUT" } } },
  },
})";
  auto refused = host.http().post("/api/workflows/bad/validate", bad, lua);
  INFO(refused.body);
  require_problem(refused, 422);
  std::vector<std::string> errors;
  auto list = refused.json()->getArray("errors");
  for (unsigned i = 0; i < list->size(); ++i)
    errors.push_back(std::to_string(list->getObject(i)->getValue<int>("line")) + ": " +
                     list->getObject(i)->getValue<std::string>("message"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"5: ", "parallel needs steps"},
      {"8: ", "a parallel cannot hold another parallel"},
      {"9: ", "step 'one' calls unknown operation 'fixture_flow.nope'"},
      {"9: ", "step 'one' is declared twice"},
      {"10: ", "step 'fill': a batched step cannot run in parallel"},
      {"12: ", "step 'five': retry.delay must look like"},
      {"12: ", "step 'five': retry.backoff must be a number from 1"},
      {"12: ", "step 'five': retry.max_delay must look like"},
      {"12: ", "step 'five': retry.on: 'TIMEOUT' is not a failure status"},
  };
  CHECK(errors.size() == expected.size());
  for (const auto& [line, text] : expected) {
    INFO(line << text);
    CHECK(std::any_of(errors.begin(), errors.end(),
                      [&](const std::string& e) { return starts_with(e, line) && contains(e, text); }));
  }

  const std::string good = R"(return saga "good" {
  trigger = manual,
  steps = {
    parallel {
      step "a" { call = "fixture_flow.record", retry = { attempts = 3, delay = "100ms", backoff = 2, max_delay = "1s",
                                                         on = { "UNAVAILABLE", "CONFLICT" } } },
      step "b" { call = "fixture_flow.record", compensate = "fixture_flow.undo" },
    },
    step "c" { call = "fixture_flow.record" },
  },
})";
  auto ok = host.http().post("/api/workflows/good/validate", good, lua);
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  auto steps = ok.json()->getArray("steps");
  REQUIRE(steps->size() == 3);
  CHECK(steps->getObject(0)->getValue<int>("parallel") == 0);
  CHECK(steps->getObject(1)->getValue<int>("parallel") == 0);
  CHECK_FALSE(steps->getObject(2)->has("parallel"));
}
