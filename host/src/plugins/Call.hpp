// crm_call and crm_rows: the host's side of the ABI's opaque types. One crm_call
// lives on the stack of the invoker for exactly one invocation; the plugin only
// ever sees a pointer to it, through crm_host_api.
#pragma once

#include "core/Problem.hpp"
#include "plugins/Delegation.hpp"
#include "plugins/Operation.hpp"
#include "security/Principal.hpp"
#include "storage/ConnectionPool.hpp"

#include <crm/plugin_abi.h>

#include <Poco/Dynamic/Var.h>

#include <deque>
#include <memory>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

namespace crm::plugins {
class Invoker;
}

struct crm_rows {
  crm::storage::PgResult result;
  std::string json; // built on first rows_json()
  int json_shape = -1;
};

struct crm_call {
  // What was asked, by whom. The strings are NUL-terminated and outlive the call.
  const crm::plugins::Operation* op = nullptr;
  crm::plugins::PluginInstance* plugin = nullptr;
  std::string_view input;
  const Poco::Dynamic::Var* parsed_input = nullptr; // the input parsed, when the caller had it
  const crm::security::Principal* principal = nullptr;
  const char* request_id = "";
  const char* trace_id = "";
  const char* client_ip = "";
  const char* event_id = nullptr;
  const char* request_idempotency_key = nullptr; // REST: the Idempotency-Key header
  const crm::plugins::Delegation* delegation = nullptr; // a workflow's call: who it acts for
  crm::plugins::Invoker* invoker = nullptr;
  int depth = 0;

  // The transaction: a connection is taken from the plugin's pool on the first
  // sql() and BEGIN rides along with that first statement.
  crm::storage::ConnectionPool::Lease connection;
  bool in_transaction = false;
  // One of a batch of events in one transaction (Invoker::invoke_events): the
  // call's work is a savepoint, released or rolled back at its end; the
  // batch commits, then applies the principal and cache changes.
  bool in_batch = false;
  bool batch_broken = false; // ... and its savepoint could not be ended: the batch's transaction is lost
  bool aborted = false; // a statement failed: only ROLLBACK is possible now
  bool transient_failure = false; // ... on a serialization failure or deadlock (PgError::transient)
  // Every result of the call, kept to its end (the ABI's one lifetime rule).
  std::vector<std::unique_ptr<crm_rows>> rows;

  // The outcome.
  std::string reply;
  bool replied = false;
  crm_status failure = CRM_OK;
  std::string failure_message;
  std::vector<crm::core::FieldError> errors;
  bool commit_on_failure = false;
  bool audited = false; // the plugin wrote its own audit entry: the host adds none
  bool emitted = false; // wrote outbox rows: the relays are woken once it commits
  std::vector<std::pair<std::string, std::string>> headers; // response headers for a REST call
  std::vector<std::string> principals_changed; // "" means everyone; announced on commit
  std::vector<std::pair<std::string, std::string>> cache_generations; // key -> generation seen on a miss
  std::vector<std::string> cache_invalidations; // cache_del() keys, applied after the commit

  // The arena: every text the host hands the plugin during the call (cache
  // values, invoke replies, service replies) stays here, unchanged, until the
  // call ends. A deque never moves its elements, so the pointers hold.
  std::deque<std::string> arena;
  // Keeps `text` to the end of the call; returns its stable copy.
  const std::string& keep(std::string text) { return arena.emplace_back(std::move(text)); }
};
