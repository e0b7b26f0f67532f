// InstanceFollower: `--wait` for a workflow instance (a reassignment saga, a
// user's offboarding). It polls GET /api/workflow-instances/{id} until the
// instance ends, prints one line per step as each is recorded (on stderr, so
// stdout keeps only the result), keeps a live status line on a terminal, and
// stops on Ctrl-C without touching the instance: following is not owning.
#pragma once

#include "ApiClient.hpp"
#include "Output.hpp"

#include "Json.hpp"

#include <chrono>
#include <string>

namespace crmctl {

class InstanceFollower {
public:
  InstanceFollower(ApiClient& api, Printer& out) : api_(api), out_(out) {}

  // The instance's detail once it is COMPLETED, FAILED, COMPENSATED or
  // CANCELLED. Throws Interrupted on Ctrl-C (exit 130; the instance runs on).
  // An instance an event starts (a user's offboarding) exists only once the
  // event is delivered: `appear_within` is how long a 404 means "not yet".
  json::Value follow(const std::string& id,
                     std::chrono::milliseconds appear_within = std::chrono::milliseconds(0));

private:
  ApiClient& api_;
  Printer& out_;
};

// Whether a workflow instance status is final.
bool is_final_status(const std::string& status);

// "  customers           COMPLETED    attempt 1  12 ms" for one entry of an
// instance's steps[] (compensations say "undo", errors follow a dash).
std::string step_line(const json::Value& step);

// A step's or instance's error (text, or an object with a message) as one line.
std::string error_text(const json::Value& error);

// "12 ms", "1.5 s", "2 min 5 s".
std::string duration_text(double milliseconds);

// Prints how a followed instance ended (stdout: a line, or the instance as
// JSON/CSV); throws WorkflowFailed (exit 4) unless it COMPLETED.
void report_outcome(Printer& out, const json::Value& instance, double elapsed_ms);

} // namespace crmctl
