// Invoker: runs one operation the same way whatever reached it (REST, event,
// workflow, schedule, another plugin): role check, input validation, one
// PostgreSQL transaction on the plugin's schema around the handler, commit on
// success (the handler's rows and its outbox events together), rollback on
// anything else. The host's own operations (the `platform` part) pass the same
// role and input checks and get the same audit entry, without a transaction.
#pragma once

#include "core/Problem.hpp"
#include "plugins/Delegation.hpp"
#include "plugins/Operation.hpp"
#include "plugins/PlatformServices.hpp"
#include "security/Principal.hpp"
#include "storage/PgResult.hpp"

#include <crm/plugin_abi.h>

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct crm_call;

namespace crm::plugins {

class PluginRegistry;

struct Invocation {
  const Operation* op = nullptr;
  std::string_view input = "{}";              // a JSON object
  const Poco::Dynamic::Var* parsed = nullptr; // input already parsed, if the caller has it
  const security::Principal* principal = &security::Principal::anonymous_caller();
  const char* request_id = "";
  const char* trace_id = "";
  const char* client_ip = "";
  const char* event_id = nullptr;
  const char* consumer = nullptr; // with event_id: record it in the inbox, skip a duplicate
  // A mutating call with a key runs at most once: a repeat returns the first
  // call's reply (duplicate = true) without running the handler.
  const char* idempotency_key = nullptr;
  // REST: the request's Idempotency-Key header, for the handler to read
  // (call_info "idempotency_key"); the invoker itself does nothing with it.
  const char* request_idempotency_key = nullptr;
  // A workflow's call: audited as the workflow, on behalf of its initiator.
  const Delegation* delegation = nullptr;
  // REST only: the request's path, and a raw-body operation's body and its content type.
  std::string_view path;
  std::string_view body;
  std::string_view content_type;
  int depth = 0;
};

struct Outcome {
  crm_status status = CRM_OK;
  int http_status = 200;
  std::string body;    // the reply (JSON) on success
  std::string message; // why it failed, safe to show
  std::vector<core::FieldError> errors;
  std::vector<std::pair<std::string, std::string>> headers; // set by the handler (Retry-After, ...)
  std::string content_type; // empty: application/json (or problem+json on failure)
  // On failure: `body` is a whole problem document to send as it is.
  bool preformatted_problem = false;
  bool duplicate = false; // the event (or the idempotency key) was handled before: nothing ran
  // The failure came from a serialization failure or a deadlock (SQLSTATE
  // 40001, 40P01), whatever status the handler made of it: running the call
  // again may succeed, so an event consumer retries it rather than giving up.
  bool transient = false;
};

class Invoker {
public:
  explicit Invoker(PluginRegistry& registry) : registry_(registry) {}
  // Set once at start, before any call.
  void set_platform(PlatformServices services) { platform_ = services; }
  const PlatformServices& platform() const { return platform_; }

  Outcome invoke(const Invocation& invocation);

  // Events for one operation (each with event_id and consumer), handled in one
  // transaction: each in a savepoint with its inbox row, so one that fails is
  // rolled back alone and the rest commit together, paying one commit for the
  // lot. Should the batch itself not commit, each event runs again alone.
  // Outcomes in the order of `invocations`.
  // `contended` (if given) is set when the batch was given up for a deadlock
  // or serialization failure of one of its events.
  std::vector<Outcome> invoke_events(const std::vector<Invocation>& invocations, bool* contended = nullptr);

  // For HostApi: an operation called from inside another call, same principal.
  Outcome invoke_nested(crm_call& parent, const std::string& operation, std::string_view input);
  // For HostApi and the host's own entries: one audit entry (actor, client IP
  // and request id from the call) in the call's transaction. Throws PgError.
  void write_audit(crm_call& call, const char* action, const char* resource_id, const char* outcome,
                   const char* detail);
  // For HostApi: runs a statement in the call's transaction, opening it first.
  storage::PgResult run_sql(crm_call& call, const char* sql, const char* const* params, int n_params);

  static constexpr int kMaxDepth = 8;

private:
  // A built-in operation of the host (HostCall): no plugin, no transaction;
  // its audit entry is written on the platform's pool after it succeeded.
  Outcome invoke_host(const Invocation& invocation);
  void prepare(crm_call& call, const Invocation& invocation);
  void finish_transaction(crm_call& call, crm_status& status);
  // A batched call's end: its savepoint released (success) or rolled back.
  void end_savepoint(crm_call& call, crm_status& status);
  // The first call's reply for `key`, after this call lost the race to it.
  Outcome keyed_repeat(crm_call& call, const Operation& op, const char* key);
  // The phases of invoke(), in order. Each answers the call's outcome when
  // the call ends there (its transaction finished), or nothing to go on.
  // The caller's role and the input's schema, before anything runs.
  static std::optional<Outcome> admit(const Invocation& inv);
  // An event's inbox row, in the handler's transaction: a repeat ends here.
  std::optional<Outcome> claim_event(crm_call& call, const Invocation& inv);
  // A keyed call's earlier reply, if the key was used before.
  std::optional<Outcome> kept_reply_for(crm_call& call, const Invocation& inv);
  // The plugin's handler, its status made safe, and the host's audit entry.
  crm_status run_handler(crm_call& call, const Invocation& inv);
  // A keyed call's reply kept with its key; another call that took the key
  // first wins, and its reply is this call's too.
  std::optional<Outcome> keep_reply(crm_call& call, const Invocation& inv, crm_status& status);
  // Commit or roll back, drop what the call made stale, and the outcome.
  Outcome conclude(crm_call& call, crm_status status);
  // The host's own audit entry for a successful mutating call, in its transaction.
  void audit_success(crm_call& call);
  // NOTIFY crm_principal for each principal_changed(), in the call's transaction.
  void announce_principal_changes(crm_call& call);

  PluginRegistry& registry_;
  PlatformServices platform_;
};

} // namespace crm::plugins
