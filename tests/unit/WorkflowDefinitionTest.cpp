// WorkflowDefinition: a workflow file is read in the sandbox and checked
// before it goes live; every error names its line.
#include "workflows/WorkflowDefinition.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace crm::workflows;

namespace {

DefinitionContext platform() {
  static const std::set<std::string> operations{"customer.reassign_owner", "sales.reassign_tasks",
                                                "sales.reassign_meetings"};
  static const std::set<std::string> events{"user.deleted", "approval.requested"};
  return {[](const std::string& op) { return operations.count(op) > 0; },
          [](const std::string& type) { return events.count(type) > 0; }, {}};
}

std::vector<std::string> messages(const DefinitionCheck& c) {
  std::vector<std::string> out;
  for (const auto& e : c.errors) out.push_back(std::to_string(e.line) + ": " + e.message);
  return out;
}

const char* kSaga = R"(-- Moves what one user owns to another.
return saga "reassignment" {
  trigger = manual,
  steps = {
    step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_owner",
                       retry = { attempts = 3, delay = "1s" } },
    step "tasks" { call = "sales.reassign_tasks", compensate = "sales.reassign_tasks",
                   input = function(data) return { from = data.from, to = data.to } end },
  },
}
)";

} // namespace

TEST_CASE("a saga is read with its steps, operations and retry policy", "[workflow-definition]") {
  auto c = check_definition(kSaga, "reassignment.lua", platform());
  INFO(Catch::Detail::stringify(messages(c)));
  REQUIRE(c.errors.empty());
  CHECK(c.definition.name == "reassignment");
  CHECK(c.definition.kind == WorkflowDefinition::Kind::Saga);
  CHECK(c.definition.trigger_event.empty());
  REQUIRE(c.definition.steps.size() == 2);
  CHECK(c.definition.steps[0].name == "customers");
  CHECK(c.definition.steps[0].line == 5);
  CHECK(c.definition.steps[0].attempts == 3);
  CHECK(c.definition.steps[0].delay == "1s");
  CHECK(c.definition.steps[1].call == "sales.reassign_tasks");
  CHECK(c.definition.steps[1].line == 7);
}

TEST_CASE("a state machine is read with its trigger, start and states", "[workflow-definition]") {
  const char* source = R"(return workflow "deal_approval" {
  trigger = on_event "approval.requested",
  start = "route",
  states = {
    route = function(ctx) return "wait" end,
    wait = function(ctx) end,
  },
})";
  auto c = check_definition(source, "workflows/deal_approval.lua", platform());
  INFO(Catch::Detail::stringify(messages(c)));
  REQUIRE(c.errors.empty());
  CHECK(c.definition.kind == WorkflowDefinition::Kind::StateMachine);
  CHECK(c.definition.trigger_event == "approval.requested");
  CHECK(c.definition.start == "route");
  CHECK(c.definition.states.size() == 2);
}

TEST_CASE("a syntax error is reported with its line", "[workflow-definition]") {
  auto c = check_definition("return saga \"x\" {\n  trigger = manual,\n  steps = { step \"a\" { call = } },\n}",
                            "x.lua", platform());
  REQUIRE(c.errors.size() == 1);
  CHECK(c.errors[0].line == 3);
  CHECK_THAT(c.errors[0].message, Catch::Contains("unexpected symbol"));
}

TEST_CASE("unknown operations and event types are reported on their lines", "[workflow-definition]") {
  const char* source = R"(return saga "offboarding" {
  trigger = on_event "user.removed",
  steps = {
    step "move" { call = "customer.reassign_owner" },
    step "notify" { call = "analytics.nope", compensate = "analytics.undo_nope" },
  },
})";
  auto c = check_definition(source, "offboarding.lua", platform());
  CHECK(messages(c) == std::vector<std::string>{
                           "2: no plugin emits or subscribes to event type 'user.removed'",
                           "5: step 'notify' calls unknown operation 'analytics.nope'",
                           "5: step 'notify' compensates with unknown operation 'analytics.undo_nope'",
                       });
}

TEST_CASE("shape errors are named: file name, missing trigger, steps, start state, retry", "[workflow-definition]") {
  auto wrong_file = check_definition(kSaga, "other.lua", platform());
  CHECK(messages(wrong_file) ==
        std::vector<std::string>{"2: the workflow is named 'reassignment' but its file is other.lua"});

  auto c = check_definition(R"(return saga "s" {
  steps = { step "a" { call = "customer.reassign_owner", retry = { attempts = 0, delay = "soon" } },
            step "a" { call = "customer.reassign_owner" } },
})",
                            "s.lua", platform());
  CHECK(messages(c) == std::vector<std::string>{
                           "1: trigger is missing: manual, or on_event \"<type>\"",
                           "2: step 'a': retry.attempts must be from 1 to 100",
                           "2: step 'a': retry.delay must look like 500ms, 30s, 5m, 2h or 1d",
                           "3: step 'a' is declared twice",
                       });

  auto m = check_definition(R"(return workflow "m" { trigger = manual, start = "nowhere", states = { a = function() end } })",
                            "m.lua", platform());
  CHECK(messages(m) == std::vector<std::string>{"1: start state 'nowhere' is not among the states"});

  auto nothing = check_definition("return 42", "n.lua", platform());
  REQUIRE(nothing.errors.size() == 1);
  CHECK(nothing.errors[0].line == 0);
}

TEST_CASE("a definition that loops or escapes while being read is refused, not run forever", "[workflow-definition]") {
  auto loop = check_definition("while true do end", "l.lua", platform(), SandboxLimits{8u << 20, 1'000'000});
  REQUIRE(loop.errors.size() == 1);
  CHECK_THAT(loop.errors[0].message, Catch::Contains("instruction budget"));
  auto escape = check_definition("os.execute('touch /tmp/pwned') return 1", "e.lua", platform());
  REQUIRE(escape.errors.size() == 1);
  CHECK(escape.errors[0].line == 1);
}

TEST_CASE("a definition whose tables loop when the host reads them is refused within its limits",
          "[workflow-definition]") {
  // The host reads the returned declaration field by field: an __index
  // planted on it runs then, under the same budget.
  const std::string planted = R"(local spec = saga "trap" { trigger = manual, steps = { step "a" { call = "customer.reassign_owner" } } }
return setmetatable(spec, { __index = function()
  while true do end
end }))";
  const auto started = std::chrono::steady_clock::now();
  auto c = check_definition(planted, "trap.lua", platform(), SandboxLimits{8u << 20, 1'000'000});
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
  REQUIRE(c.errors.size() == 1);
  CHECK_THAT(c.errors[0].message, Catch::Contains("instruction budget"));
  CHECK(c.errors[0].line == 3);
  // The same with the budget to spare: the deadline ends it.
  auto late = check_definition(planted, "trap.lua", platform(),
                               SandboxLimits{8u << 20, 1'000'000'000'000, std::chrono::milliseconds(200)});
  REQUIRE(late.errors.size() == 1);
  CHECK_THAT(late.errors[0].message, Catch::Contains("deadline"));
}

TEST_CASE("durations read as seconds", "[workflow-definition]") {
  CHECK(parse_duration("30s") == 30);
  CHECK(parse_duration("15m") == 900);
  CHECK(parse_duration("48h") == 172800);
  CHECK(parse_duration("2d") == 172800);
  CHECK(parse_duration("1500ms") == 1);
  CHECK(parse_duration("soon") == -1);
  CHECK(parse_duration("10") == -1);
  CHECK(parse_duration("-5s") == -1);
}

TEST_CASE("a wait state is read with its events, key, match, next states and timeout", "[workflow-definition]") {
  const char* source = R"(return workflow "deal_approval" {
  trigger = on_event "approval.requested",
  start = "route",
  states = {
    route = function(ctx) return "decide" end,
    decide = wait {
      event = { "user.deleted", "approval.requested" },
      key = "approvalId",
      match = "data.approvalId",
      on_event = { ["user.deleted"] = "route", ["approval.requested"] = "done" },
      timeout = "48h",
      on_timeout = "route",
    },
    done = function(ctx) end,
  },
})";
  auto c = check_definition(source, "deal_approval.lua", platform());
  INFO(Catch::Detail::stringify(messages(c)));
  REQUIRE(c.errors.empty());
  REQUIRE(c.definition.waits.count("decide") == 1);
  const WaitSpec& w = c.definition.waits.at("decide");
  CHECK(w.line == 6);
  CHECK(w.events == std::vector<std::string>{"user.deleted", "approval.requested"});
  CHECK(w.key_var == "approvalId");
  CHECK(w.match_path == std::vector<std::string>{"data", "approvalId"});
  CHECK(w.on_event.at("approval.requested") == "done");
  CHECK(w.timeout_seconds == 48 * 3600);
  CHECK(w.on_timeout == "route");
}

TEST_CASE("a wait's mistakes are reported on its line", "[workflow-definition]") {
  const char* source = R"(return workflow "deal_approval" {
  trigger = manual,
  start = "route",
  states = {
    route = function(ctx) return "decide" end,
    decide = wait {
      event = "approval.unknown",
      match = "body.id",
      on_event = "nowhere",
      timeout = "soon",
    },
  },
})";
  auto c = check_definition(source, "deal_approval.lua", platform());
  const auto m = messages(c);
  INFO(Catch::Detail::stringify(m));
  auto has = [&m](const std::string& text) {
    return std::any_of(m.begin(), m.end(), [&](const std::string& s) { return s.find(text) != std::string::npos; });
  };
  CHECK(has("6: state 'decide': no plugin emits or subscribes to event type 'approval.unknown'"));
  CHECK(has("6: state 'decide': wait needs key"));
  CHECK(has("6: state 'decide': match must be"));
  CHECK(has("6: state 'decide': timeout must look like"));
  CHECK(has("6: state 'decide': a timeout needs on_timeout"));
  CHECK(has("6: state 'decide': on_event goes to unknown state 'nowhere'"));
}

TEST_CASE("require loads helpers from workflows/lib only", "[workflow-definition]") {
  namespace fs = std::filesystem;
  const fs::path lib = fs::temp_directory_path() / ("crm-lib-" + std::to_string(::getpid()));
  fs::create_directories(lib);
  std::ofstream(lib / "money.lua") << "return { cap = function(n) return math.min(n, 100) end }\n";
  DefinitionContext ctx = platform();
  ctx.lib_dir = lib;
  auto ok = check_definition(R"(local money = require("money")
assert(money.cap(500) == 100)
return saga "reassignment" { trigger = manual, steps = { step "a" { call = "sales.reassign_tasks" } } })",
                             "reassignment.lua", ctx);
  INFO(Catch::Detail::stringify(messages(ok)));
  CHECK(ok.errors.empty());
  for (const char* name : {"../money", "os", "nothere"}) {
    auto refused = check_definition(std::string("local m = require(\"") + name + "\")\nreturn nil", "reassignment.lua",
                                    ctx);
    REQUIRE(!refused.errors.empty());
    CHECK(refused.errors.front().message.find("require") != std::string::npos);
  }
  fs::remove_all(lib);
}

TEST_CASE("a saga's api block and batched steps are read, and their mistakes reported", "[workflow-definition]") {
  const char* good = R"(return saga "reassignment" {
  trigger = manual,
  api = { roles = "ADMIN,MANAGER", team = { "fromUserId", "toUserId" },
          check = function(input) end, dry_run = function(input) return {} end },
  steps = {
    step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_owner", batched = true },
    step "tasks" { call = "sales.reassign_tasks" },
  },
})";
  auto ok = check_definition(good, "reassignment.lua", platform());
  INFO(messages(ok).size());
  REQUIRE(ok.errors.empty());
  const auto& api = ok.definition.api;
  CHECK(api.exposed);
  CHECK(api.roles == "ADMIN,MANAGER");
  CHECK(api.team == std::vector<std::string>{"fromUserId", "toUserId"});
  CHECK(api.check);
  CHECK(api.dry_run);
  CHECK(ok.definition.steps.at(0).batched);
  CHECK_FALSE(ok.definition.steps.at(1).batched);

  const char* bad = R"(return saga "reassignment" {
  trigger = manual,
  api = { roles = "ADMIN,BOSS", team = "fromUserId", check = "yes" },
  steps = {
    step "customers" { call = "customer.reassign_owner", batched = "yes" },
  },
})";
  auto errors = messages(check_definition(bad, "reassignment.lua", platform()));
  CHECK(std::count_if(errors.begin(), errors.end(), [](const std::string& m) { return m.find("api.roles") != std::string::npos; }) == 1);
  CHECK(std::count_if(errors.begin(), errors.end(), [](const std::string& m) { return m.find("api.team") != std::string::npos; }) == 1);
  CHECK(std::count_if(errors.begin(), errors.end(), [](const std::string& m) { return m.find("api.check") != std::string::npos; }) == 1);
  CHECK(std::find(errors.begin(), errors.end(), "5: step 'customers': batched must be true or false") != errors.end());
}
