// FlowHost: a host with fixture_flow and workflow files in its folder, for
// the workflow tests: start instances, wait for a status, read fixture_flow's
// ledger (one row per effect, so a doubled effect shows as two rows), inject
// failures and signals.
#pragma once

#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace itest {

inline Headers admin() { return {{"Authorization", bearer(HostUnderTest::admin_token())}}; }
inline Headers admin_lua() {
  return {{"Authorization", bearer(HostUnderTest::admin_token())}, {"Content-Type", "text/x-lua"}};
}

// A host with fixture_flow and the given workflow files in its folder.
struct FlowHost {
  explicit FlowHost(const std::map<std::string, std::string>& files, std::map<std::string, std::string> env = {})
      : host({"fixture_flow"}, with_defaults(std::move(env)), HostUnderTest::Start::Later) {
    std::filesystem::create_directories(dir());
    for (const auto& [name, source] : files) std::ofstream(dir() / (name + ".lua")) << source;
    host.start();
  }
  static std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) {
    env.emplace("CRM_WORKFLOWS_POLL_MS", "100");
    env.emplace("CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100");
    env.emplace("CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8));
    return env;
  }
  std::filesystem::path dir() const { return host.dir() / "workflows"; }

  std::string start(const std::string& workflow, const std::string& input) {
    auto r = host.http().post("/api/workflows/" + workflow + "/instances", "{\"input\":" + input + "}",
                              {{"Authorization", bearer(HostUnderTest::admin_token())},
                               {"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }
  Poco::JSON::Object::Ptr instance(const std::string& id) {
    auto r = host.http().get("/api/workflow-instances/" + id, admin());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }
  // Waits for the instance to reach `status`; returns its detail.
  Poco::JSON::Object::Ptr wait_for(const std::string& id, const std::string& status,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Poco::JSON::Object::Ptr last;
    const bool reached = eventually(
        [&] {
          std::optional<Response> r;
          try {
            Http http(host.port(), std::chrono::seconds(2));
            r = http.get("/api/workflow-instances/" + id, admin());
          } catch (const std::exception&) {
          }
          if (!r || r->status != 200) return false;
          last = r->json();
          return text_of(last, "status") == status;
        },
        timeout, std::chrono::milliseconds(50));
    INFO("instance " << id << ": " << (last ? json_of(*last) : std::string("never read")) << "\n"
                     << host.process().log_tail(40));
    REQUIRE(reached);
    return last;
  }
  // The ledger kinds of `key`, in the order written.
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
  void fail(const std::string& kind, int times) {
    auto r = host.http().post("/api/fixture-flow/failures",
                              "{\"kind\":\"" + kind + "\",\"times\":" + std::to_string(times) + "}",
                              {{"Content-Type", "application/json"}});
    REQUIRE(r.status == 200);
  }
  void signal(const std::string& type, const std::string& subject) {
    auto r = host.http().post("/api/fixture-flow/signal", "{\"type\":\"" + type + "\",\"subject\":\"" + subject + "\"}",
                              {{"Content-Type", "application/json"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
  }

  HostUnderTest host;
};

// A saga of three recording steps, each undone by fixture_flow.undo.
inline std::string three_steps(const std::string& name, const std::string& extra_input = "", const std::string& retry = "") {
  auto step = [&](const std::string& s) {
    return "    step \"" + s + "\" { call = \"fixture_flow.record\", compensate = \"fixture_flow.undo\",\n" +
           "      input = function(ctx) return { key = ctx.input.key, kind = \"" + s + "\"" + extra_input +
           " } end" + (retry.empty() ? "" : ", retry = " + retry) + " },\n";
  };
  return "return saga \"" + name + "\" {\n  trigger = manual,\n  steps = {\n" + step("one") + step("two") +
         step("three") + "  },\n}\n";
}

} // namespace itest
