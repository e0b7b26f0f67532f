// The Lua boundary against a running host: neither a request's input nor a
// script takes the host down or holds a core. A saga's input larger than the
// sandbox's memory cap is a 422; a stored instance whose input breaks the cap
// ends FAILED with the reason; a backtracking pattern, an endless gsub callback
// and an endless table.sort comparator end in a 422 within 2 s - and the host
// answers and goes back to idle after each.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/ReassignmentFixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace itest;
namespace fs = std::filesystem;

namespace {

// {"pad":[{},{},...]} as large as fits in `limit` bytes: a few hundred
// thousand tables once in Lua, well past a 16 MiB cap.
std::string pad_of_empty_objects(size_t limit, const std::string& before = "", const std::string& after = "") {
  std::string body = before + "{\"pad\":[{}";
  const std::string tail = "]}" + after;
  while (body.size() + 3 + tail.size() <= limit) body += ",{}";
  return body + tail;
}

// CPU seconds the process has used (user + system), from /proc.
double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The host spends little CPU over the next second: nothing is left spinning.
void require_idle(HostProcess& process) {
  const double before = cpu_seconds(process.pid());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double used = cpu_seconds(process.pid()) - before;
  INFO("CPU seconds used by the host over one idle second: " << used);
  CHECK(used < 0.5);
}

Headers admin_lua() {
  return {{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "text/x-lua"}};
}

} // namespace

TEST_CASE("a 1 MB body of empty objects to a saga's API is refused with 422 and the host keeps serving",
          "[workflows][lua-boundary]") {
  ReassignmentHost h;
  const std::string body = pad_of_empty_objects(1 << 20);
  REQUIRE(body.size() <= 1u << 20);
  REQUIRE(body.size() > (1u << 20) - 8);
  auto refused = h.auth.call("POST", "/api/sagas/reassignment", body, h.auth.admin().access_token);
  auto problem = require_problem(refused, 422);
  CHECK(contains(text_of(problem, "detail"), "memory cap"));
  CHECK(error_fields(problem) == std::vector<std::string>{"body"});
  REQUIRE(h.process().running());
  // The same saga still answers: its check and dry run work on the next request.
  auto dry = h.auth.call("POST", "/api/sagas/reassignment",
                         R"({"fromUserId":")" + h.from.id + R"(","toUserId":")" + h.to.id + R"(","dryRun":true})",
                         h.auth.admin().access_token);
  INFO(dry.body);
  CHECK(dry.status == 200);
  require_idle(h.process());
}

TEST_CASE("a stored instance whose input breaks the memory cap ends FAILED with the reason, and the host serves on",
          "[workflows][lua-boundary]") {
  const std::string machine = R"(return workflow "reader" {
  trigger = manual,
  start = "read",
  states = {
    read = function(ctx) ctx.vars.size = #(ctx.input.pad or {}) end,
  },
})";
  HostUnderTest host(
      {"fixture_flow"},
      {{"CRM_WORKFLOWS_POLL_MS", "100"}, {"CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8)}},
      HostUnderTest::Start::Later);
  fs::create_directories(host.dir() / "workflows");
  std::ofstream(host.dir() / "workflows" / "reader.lua") << machine;
  host.start();
  const Headers admin{{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "application/json"}};
  auto start = [&](const std::string& body) {
    auto r = host.http().post("/api/workflows/reader/instances", body, admin);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  };
  auto wait_for = [&](const std::string& id, const std::string& status) {
    Poco::JSON::Object::Ptr last;
    const bool reached = eventually(
        [&] {
          auto r = host.http().get("/api/workflow-instances/" + id, admin);
          if (r.status != 200) return false;
          last = r.json();
          return text_of(last, "status") == status;
        },
        // Each answer carries the megabyte of input: a poll every 250 ms, and
        // time for a busy machine to parse it.
        std::chrono::seconds(60), std::chrono::milliseconds(250));
    INFO("instance " << id << ": " << (last ? text_of(last, "status") : std::string("never read")) << "\n"
                     << host.process().log_tail(30));
    REQUIRE(reached);
    return last;
  };

  const std::string big = start(pad_of_empty_objects(1 << 20, "{\"input\":", "}"));
  auto failed = wait_for(big, "FAILED");
  const auto error = failed->getObject("error");
  REQUIRE(error);
  CHECK(contains(text_of(error, "message"), "memory cap"));
  CHECK(text_of(error, "state") == "read");
  REQUIRE(host.process().running());
  REQUIRE(host.http().get("/health/live").status == 200);
  // The next instance of the same workflow runs on a fresh state.
  auto done = wait_for(start(R"({"input":{"pad":[{},{}]}})"), "COMPLETED");
  CHECK(done->getObject("vars")->getValue<int>("size") == 2);
  require_idle(host.process());
}

TEST_CASE("a backtracking pattern, an endless gsub callback and an endless sort comparator end in 422 within 2 s",
          "[workflows][lua-boundary]") {
  HostUnderTest host({"fixture_c"});
  const std::pair<const char*, const char*> scripts[] = {
      {"backtracking pattern", R"(string.find(string.rep("a", 40), string.rep("a*", 40) .. "b"))"},
      {"pattern through the string metatable", R"(local s = ("a"):rep(40) return s:match(("a*"):rep(40) .. "b"))"},
      {"caught by pcall", R"(while true do pcall(string.find, string.rep("a", 40), string.rep("a*", 40) .. "b") end)"},
      {"gsub callback", R"(string.gsub("abc", ".", function() while true do end end))"},
      {"sort comparator", R"(local t = {} for i = 1, 100 do t[i] = i end
table.sort(t, function(a, b) while true do end end))"},
      {"sort comparator under pcall", R"(local t = {} for i = 1, 100 do t[i] = i end
while true do pcall(table.sort, t, function(a, b) while true do end end) end)"},
  };
  for (const auto& [what, source] : scripts) {
    INFO(what << ": " << source);
    const auto started = std::chrono::steady_clock::now();
    auto r = host.http().post("/api/workflows/runaway/validate", source, admin_lua());
    const auto took = std::chrono::steady_clock::now() - started;
    auto problem = require_problem(r, 422);
    auto errors = problem->getArray("errors");
    REQUIRE(errors);
    REQUIRE(errors->size() == 1);
    const std::string message = errors->getObject(0)->getValue<std::string>("message");
    CHECK((contains(message, "instruction budget") || contains(message, "deadline")));
    CHECK(errors->getObject(0)->getValue<int>("line") >= 1);
    CHECK(took < std::chrono::seconds(2));
    REQUIRE(host.http().get("/health/live").status == 200);
  }
  require_idle(host.process());
  // A PUT of the same is refused the same way, and nothing is deployed.
  auto put = host.http().request("PUT", "/api/workflows/runaway", scripts[0].second, admin_lua());
  require_problem(put, 422);
  CHECK(host.http().get("/api/workflows/runaway", {{"Authorization", bearer(HostUnderTest::admin_token())}}).status ==
        404);
}

TEST_CASE("the deadline setting ends a validation that the budget would let run on", "[workflows][lua-boundary]") {
  HostUnderTest host({"fixture_c"},
                     {{"CRM_WORKFLOWS_MAX_INSTRUCTIONS", "100000000000"}, {"CRM_WORKFLOWS_SCRIPT_DEADLINE_MS", "300"}});
  const auto started = std::chrono::steady_clock::now();
  auto r = host.http().post("/api/workflows/runaway/validate",
                            R"(string.find(string.rep("a", 40), string.rep("a*", 40) .. "b"))", admin_lua());
  const auto took = std::chrono::steady_clock::now() - started;
  auto problem = require_problem(r, 422);
  CHECK(contains(problem->getArray("errors")->getObject(0)->getValue<std::string>("message"),
                 "the script ran past its deadline (300 ms)"));
  CHECK(took >= std::chrono::milliseconds(300));
  CHECK(took < std::chrono::seconds(2));
  require_idle(host.process());
}
