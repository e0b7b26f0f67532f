// SystemCalls: calls an operation only the host may call ("system": a saga's
// operations) from a test, through the real workflow engine. A one-state
// workflow, system_call, written into the host's workflows folder before it
// starts, calls {op, args} with crm.try_call and keeps the answer in its
// variables; the test starts an instance per call and reads them back.
#pragma once

#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <fstream>
#include <string>

namespace itest {

inline constexpr const char* kSystemCallWorkflow = R"lua(
-- Calls one operation as the host and keeps its reply or its failure.
return workflow "system_call" {
  trigger = manual,
  start = "call",
  states = {
    call = function(ctx)
      local reply, failure = crm.try_call(ctx.input.op, ctx.input.args)
      ctx.vars.reply = reply
      ctx.vars.failure = failure
      return nil
    end,
  },
}
)lua";

// The answer of one call: the reply, or the failure's status and message.
struct SystemAnswer {
  Poco::JSON::Object::Ptr reply;  // null on failure
  std::string status = "OK";      // OK, INVALID, CONFLICT, UNAVAILABLE, NOT_FOUND, ...
  std::string message;            // "op: detail"
  std::vector<std::string> fields; // the failure's field paths
  bool ok() const { return status == "OK"; }
};

class SystemCalls {
public:
  // Writes the workflow; call before host.start(). `admin_token`: the ADMIN
  // token that starts the calls; empty: one minted for a random user (a host
  // with the auth plugin wants the token of a real ADMIN instead).
  explicit SystemCalls(HostUnderTest& host, std::string admin_token = {})
      : host_(host), admin_token_(admin_token.empty() ? HostUnderTest::admin_token() : std::move(admin_token)) {
    fs::create_directories(host.dir() / "workflows");
    std::ofstream(host.dir() / "workflows" / "system_call.lua") << kSystemCallWorkflow;
  }

  // After the start: waits until the workflow is live.
  void wait_until_ready() {
    const bool live = eventually(
        [&] {
          auto r = Http(host_.port()).get("/api/workflows/system_call", admin());
          return r.status == 200 && text_of(r.json(), "status") == "LIVE";
        },
        std::chrono::seconds(20));
    INFO(host_.process().log_tail(40));
    REQUIRE(live);
  }

  // Starts a call; returns the instance id (several may run at once).
  std::string start(const std::string& op, const std::string& args_json, Http& http) {
    auto r = http.post("/api/workflows/system_call/instances",
                       "{\"input\":{\"op\":\"" + op + "\",\"args\":" + args_json + "}}", json_admin());
    INFO(r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }

  // Waits for the instance started by start() and returns the call's answer.
  SystemAnswer answer(const std::string& id, Http& http, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    Poco::JSON::Object::Ptr last;
    const bool done = eventually(
        [&] {
          auto r = http.get("/api/workflow-instances/" + id, admin());
          if (r.status != 200) return false;
          last = r.json();
          const std::string status = text_of(last, "status");
          return status == "COMPLETED" || status == "FAILED";
        },
        timeout, std::chrono::milliseconds(20));
    INFO("instance " << id << ": " << (last ? json_of(*last) : std::string("never read")));
    REQUIRE(done);
    REQUIRE(text_of(last, "status") == "COMPLETED");
    SystemAnswer a;
    auto vars = last->getObject("vars");
    REQUIRE(vars);
    if (auto failure = vars->getObject("failure")) {
      a.status = text_of(failure, "status");
      a.message = text_of(failure, "message");
      if (auto errors = failure->getArray("errors"))
        for (size_t i = 0; i < errors->size(); ++i)
          a.fields.push_back(text_of(errors->getObject(static_cast<unsigned>(i)), "field"));
      // Lua has one empty table: an empty errors list may come back as {}.
    } else {
      a.reply = vars->getObject("reply");
      if (!a.reply) a.reply = new Poco::JSON::Object;
    }
    return a;
  }

  SystemAnswer call(const std::string& op, const std::string& args_json) {
    Http http(host_.port());
    return answer(start(op, args_json, http), http);
  }

private:
  Headers admin() const { return {{"Authorization", bearer(admin_token_)}}; }
  Headers json_admin() const { return {{"Authorization", bearer(admin_token_)}, {"Content-Type", "application/json"}}; }
  HostUnderTest& host_;
  std::string admin_token_;
};

} // namespace itest
