// HostCall: one call of a built-in operation of the host's `platform` part
// (workflows, instances, sagas, dead letters, rebuilds, plugins, health,
// metrics, the OpenAPI document). The invoker has already resolved the
// principal, checked its role and the input schema; the handler reads the
// input, does the work, and says what to answer and what to audit.
#pragma once

#include "core/Problem.hpp"
#include "security/Principal.hpp"

#include <crm/plugin_abi.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crm::plugins {

struct Operation;

struct HostCall {
  // What was asked, by whom.
  const Operation* op = nullptr;
  std::string_view input = "{}";              // the merged input object (query, body fields, path parameters)
  const Poco::Dynamic::Var* parsed = nullptr; // the same, parsed, when the pipeline had it
  std::string_view path;                      // the request's path (a problem's instance)
  std::string_view body;                      // the body as it came, for an operation that takes it raw
  std::string_view content_type;
  const security::Principal* principal = nullptr;
  const char* request_id = "";
  const char* client_ip = "";

  // The answer. status 0: the operation's declared status.
  int status = 0;
  std::string reply;
  std::string content_type_out; // empty: application/json
  // A refusal: the HTTP status, and a problem built from message and errors,
  // unless `problem` holds a whole problem document already.
  int failure = 0;
  std::string message;
  std::vector<core::FieldError> errors;
  std::string problem;
  std::vector<std::pair<std::string, std::string>> headers;

  // The audit entry of a successful mutating call.
  std::string resource_id;
  std::string audit_detail; // a JSON object, or empty

  void fail(int http_status, std::string why, std::vector<core::FieldError> field_errors = {}) {
    failure = http_status;
    message = std::move(why);
    errors = std::move(field_errors);
  }
  // The input as an object (parsed here when the pipeline did not); never null.
  Poco::JSON::Object::Ptr input_object() const;
  // A string member of the input, or "" when absent.
  std::string text(const std::string& key) const;
};

// A built-in operation's handler. It may throw: the invoker answers 503
// (the database or a dependency failed under it).
using HostHandler = std::function<void(HostCall& call)>;

} // namespace crm::plugins
