// Invoker: see the header.
#include "plugins/Invoker.hpp"

#include "cache/PluginCache.hpp"
#include "log/Log.hpp"
#include "plugins/Call.hpp"
#include "plugins/PluginRegistry.hpp"
#include "security/AuditLog.hpp"
#include "security/PrincipalCache.hpp"
#include "storage/PgError.hpp"
#include "storage/PgNotifier.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>
#include <typeinfo>

namespace crm::plugins {

namespace {

const char* default_message(crm_status s) {
  switch (s) {
  case CRM_E_INVALID: return "validation failed";
  case CRM_E_NOT_FOUND: return "not found";
  case CRM_E_NO_OPERATION: return "no such operation";
  case CRM_E_CONFLICT: return "conflict";
  case CRM_E_FORBIDDEN: return "forbidden";
  case CRM_E_UNAVAILABLE: return "a dependency is unavailable";
  case CRM_E_UNAUTHENTICATED: return "not authenticated";
  case CRM_E_RATE_LIMITED: return "too many requests";
  default: return "internal error";
  }
}

// A built-in operation's refusal, as the ABI's status for the same HTTP status.
crm_status status_for_http(int http) {
  switch (http) {
  case 400: case 413: case 415: case 422: return CRM_E_INVALID;
  case 401: return CRM_E_UNAUTHENTICATED;
  case 403: return CRM_E_FORBIDDEN;
  case 404: return CRM_E_NOT_FOUND;
  case 409: return CRM_E_CONFLICT;
  case 429: return CRM_E_RATE_LIMITED;
  case 503: return CRM_E_UNAVAILABLE;
  default: return CRM_E_INTERNAL;
  }
}

Outcome failed(crm_status s, std::string message) {
  Outcome o;
  o.status = s;
  o.http_status = core::http_status_for(s);
  o.message = std::move(message);
  return o;
}

// The reply kept for an idempotency key (a one-row, one-column result).
Outcome kept_reply(const Operation& op, const storage::PgResult& kept) {
  Outcome o;
  o.duplicate = true;
  if (!kept.is_null(0, 0)) o.body.assign(kept.value(0, 0), static_cast<size_t>(kept.length(0, 0)));
  o.http_status = o.body.empty() && op.http_status == 200 ? 204 : op.http_status;
  return o;
}

} // namespace

Outcome Invoker::keyed_repeat(crm_call& call, const Operation& op, const char* key) {
  const char* params[] = {key};
  try {
    auto conn = call.plugin->pool->acquire();
    auto kept = conn->query("select reply from crm_idempotency where key = $1", params, 1);
    if (kept.rows() == 1) return kept_reply(op, kept);
  } catch (const storage::PgError&) {
  }
  return failed(CRM_E_UNAVAILABLE, "the first call with this idempotency key could not be read back");
}

void Invoker::prepare(crm_call& call, const Invocation& inv) {
  const Operation& op = *inv.op;
  call.op = &op;
  call.plugin = op.plugin;
  call.input = inv.input;
  call.parsed_input = inv.parsed;
  call.principal = inv.principal;
  call.request_id = inv.request_id;
  call.trace_id = inv.trace_id;
  call.client_ip = inv.client_ip;
  call.event_id = inv.event_id;
  call.request_idempotency_key = inv.request_idempotency_key;
  call.delegation = inv.delegation;
  call.invoker = this;
  call.depth = inv.depth;
}

Outcome Invoker::invoke(const Invocation& inv) {
  if (auto refused = admit(inv)) return std::move(*refused);
  if (inv.op->host_handler) return invoke_host(inv);

  crm_call call;
  prepare(call, inv);

  if (auto repeat = claim_event(call, inv)) return std::move(*repeat);
  if (auto kept = kept_reply_for(call, inv)) return std::move(*kept);
  crm_status status = run_handler(call, inv);
  if (auto first = keep_reply(call, inv, status)) return std::move(*first);
  return conclude(call, status);
}

std::vector<Outcome> Invoker::invoke_events(const std::vector<Invocation>& invs, bool* contended) {
  std::vector<Outcome> out(invs.size());
  std::vector<bool> settled(invs.size(), false);
  const auto one_by_one = [&] {
    for (size_t i = 0; i < invs.size(); ++i) {
      if (settled[i]) continue;
      out[i] = invoke(invs[i]);
      // A deadlock or serialization failure rolled the event's transaction
      // back, inbox row and all: run it again now, twice at most, a moment
      // apart, instead of sending it back to wait for its redelivery
      // (events.retry_delays_ms, a second at first). Under load that wait
      // was most of the slowest events' lag.
      for (int again = 1; again <= 2 && out[i].status != CRM_OK && out[i].transient; ++again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(again * 2));
        out[i] = invoke(invs[i]);
      }
    }
  };
  const Operation* op = invs.empty() ? nullptr : invs.front().op;
  bool batchable = op && invs.size() > 1 && !op->host_handler && !op->read_only;
  for (const Invocation& inv : invs)
    batchable = batchable && inv.op == op && inv.event_id && inv.consumer &&
                std::string_view(inv.consumer) == invs.front().consumer;
  if (!batchable) {
    one_by_one();
    return out;
  }

  // The role and input checks first: a refused event gets no inbox row.
  std::string ids = "{";
  for (size_t i = 0; i < invs.size(); ++i) {
    if (auto refused = admit(invs[i])) {
      out[i] = std::move(*refused);
      settled[i] = true;
      continue;
    }
    if (ids.size() > 1) ids += ',';
    ids += invs[i].event_id;
  }
  ids += '}';
  if (ids.size() == 2) return out;

  // Every event's inbox row at once, with the BEGIN: those already there were
  // handled before. One that fails below has its row taken out again.
  storage::ConnectionPool::Lease conn;
  std::set<std::string, std::less<>> claimed;
  try {
    conn = op->plugin->pool->acquire();
    const char* params[] = {ids.c_str(), invs.front().consumer};
    auto rows = conn->query("insert into crm_inbox (event_id, consumer) select unnest($1::uuid[]), $2 "
                            "on conflict do nothing returning event_id::text",
                            params, 2, "BEGIN");
    for (int r = 0; r < rows.rows(); ++r) claimed.emplace(rows.value(r, 0));
  } catch (const storage::PgError&) {
    if (conn) conn->mark_broken();
    one_by_one(); // each fails (or succeeds) on its own
    return out;
  }

  // What the batch's calls changed, applied once it commits.
  std::vector<std::string> principals, invalidations;
  std::vector<size_t> committed; // successes that exist only if the batch commits
  bool broken = false, emitted = false;
  for (size_t i = 0; i < invs.size() && !broken; ++i) {
    if (settled[i]) continue;
    const Invocation& inv = invs[i];
    settled[i] = true;
    auto mine = claimed.find(std::string_view(inv.event_id));
    if (mine == claimed.end()) {
      out[i].duplicate = true; // handled before (or twice in this batch)
      continue;
    }
    claimed.erase(mine);
    crm_call call;
    prepare(call, inv);
    call.in_batch = true;
    call.connection = std::move(conn);
    crm_status status = run_handler(call, inv);
    out[i] = conclude(call, status);
    conn = std::move(call.connection);
    emitted = emitted || call.emitted;
    if (call.batch_broken || (out[i].status != CRM_OK && out[i].transient)) {
      // The transaction is lost, or this event lost a deadlock (or a
      // serialization conflict) that the batch's other locks may have caused:
      // the batch is rolled back and each event runs on its own, as it would
      // have without batching.
      broken = true;
      settled[i] = false;
      if (contended && !call.batch_broken) *contended = true;
      break;
    }
    if (out[i].status == CRM_OK) {
      committed.push_back(i);
      principals.insert(principals.end(), call.principals_changed.begin(), call.principals_changed.end());
      invalidations.insert(invalidations.end(), call.cache_invalidations.begin(), call.cache_invalidations.end());
    } else if (!call.commit_on_failure || call.aborted) {
      // Not handled after all: its inbox row goes, so that it comes again.
      const char* params[] = {inv.event_id, inv.consumer};
      try {
        conn->query("delete from crm_inbox where event_id = $1::uuid and consumer = $2", params, 2);
      } catch (const storage::PgError&) {
        broken = true;
      }
    }
  }

  if (!broken) {
    try {
      conn->exec("COMMIT");
    } catch (const storage::PgError& e) {
      broken = true;
      log::warn("invoker", std::string("a batch of events did not commit; each runs again alone: ") + e.what(),
                {{"operation", op->name}, {"events", std::to_string(invs.size())}});
    }
  }
  if (broken) {
    try {
      conn->exec("ROLLBACK");
    } catch (const storage::PgError&) {
      conn->mark_broken(); // whatever the transaction holds is rolled back with the connection
    }
    conn.release();
    for (size_t i : committed) settled[i] = false;
    for (size_t i = 0; i < invs.size(); ++i)
      if (out[i].duplicate) settled[i] = false; // the batch's claim said so, and it is gone
    one_by_one();
    return out;
  }
  conn.release();
  if (emitted && platform_.notifier) platform_.notifier->notify(storage::PgNotifier::outbox, op->plugin->name);
  if (platform_.principals)
    for (const auto& subject : principals) platform_.principals->drop(subject);
  if (!invalidations.empty() && platform_.cache) platform_.cache->invalidate(op->plugin->name, invalidations);
  return out;
}

std::optional<Outcome> Invoker::admit(const Invocation& inv) {
  const Operation& op = *inv.op;
  if (!op.roles.admits(*inv.principal)) return failed(CRM_E_FORBIDDEN, "your role may not call " + op.name);
  if (!op.input_schema) return std::nullopt;
  std::vector<core::FieldError> errors;
  if (inv.parsed) {
    errors = op.input_schema->validate(*inv.parsed);
  } else {
    try {
      Poco::JSON::Parser parser;
      errors = op.input_schema->validate(parser.parse(std::string(inv.input)));
    } catch (const Poco::Exception&) {
      errors.push_back({"body", "must be a JSON object"});
    }
  }
  if (errors.empty()) return std::nullopt;
  Outcome o = failed(CRM_E_INVALID, "the input is not valid");
  o.errors = std::move(errors);
  return o;
}

std::optional<Outcome> Invoker::claim_event(crm_call& call, const Invocation& inv) {
  if (!inv.event_id || !inv.consumer) return std::nullopt;
  // At-least-once delivery, at-most-once effect: the inbox row is written in
  // the handler's transaction, so it exists exactly when the effect does. A
  // redelivery running concurrently waits here on the first one's row.
  const char* params[] = {inv.event_id, inv.consumer};
  try {
    auto r = run_sql(call, "insert into crm_inbox (event_id, consumer) values ($1::uuid, $2) on conflict do nothing",
                     params, 2);
    if (std::string_view(PQcmdTuples(r.get())) != "0") return std::nullopt;
    crm_status nothing_to_keep = CRM_E_CONFLICT; // roll the empty transaction back
    finish_transaction(call, nothing_to_keep);
    Outcome o;
    o.duplicate = true;
    return o;
  } catch (const storage::PgError& e) {
    crm_status st = e.status() == CRM_E_INVALID ? CRM_E_INVALID : CRM_E_UNAVAILABLE;
    finish_transaction(call, st);
    return failed(st, std::string("cannot record the event in the inbox: ") + e.what());
  }
}

// A keyed call: the key and the reply are written after the handler, in its
// transaction. A concurrent call with the same key waits there on the first
// one's row, then finds the key taken: its own work is rolled back and the
// first reply returned. (A repeat after the first committed finds the key at once.)
static bool keyed(const Invocation& inv) {
  return inv.idempotency_key && *inv.idempotency_key && !inv.op->read_only;
}

std::optional<Outcome> Invoker::kept_reply_for(crm_call& call, const Invocation& inv) {
  if (!keyed(inv)) return std::nullopt;
  const char* params[] = {inv.idempotency_key};
  try {
    auto kept = run_sql(call, "select reply from crm_idempotency where key = $1", params, 1);
    if (kept.rows() != 1) return std::nullopt;
    Outcome o = kept_reply(*inv.op, kept);
    crm_status nothing_to_keep = CRM_E_CONFLICT;
    finish_transaction(call, nothing_to_keep);
    return o;
  } catch (const storage::PgError& e) {
    crm_status st = e.status() == CRM_E_INVALID ? CRM_E_INVALID : CRM_E_UNAVAILABLE;
    finish_transaction(call, st);
    return failed(st, std::string("cannot read the idempotency key: ") + e.what());
  }
}

crm_status Invoker::run_handler(crm_call& call, const Invocation& inv) {
  const Operation& op = *inv.op;
  crm_status status;
  try {
    status = op.handler(&call, op.plugin->state);
  } catch (...) {
    // The SDK catches at the boundary; a plugin without it must not take us down.
    log::error("invoker", "handler threw across the ABI", {{"operation", op.name}, {"request_id", inv.request_id}});
    status = CRM_E_INTERNAL;
  }
  if (status == CRM_OK && call.failure != CRM_OK && !call.replied) status = call.failure;
  if (status != CRM_OK && status > CRM_E_NO_OPERATION) status = CRM_E_INTERNAL;
  if (status == CRM_OK && !op.read_only && !(op.flags & CRM_OP_NO_AUDIT) && !call.audited && !call.aborted) {
    try {
      audit_success(call);
    } catch (const storage::PgError& e) {
      status = e.status() == CRM_E_CONFLICT ? CRM_E_CONFLICT : CRM_E_UNAVAILABLE;
      call.failure_message = "the change could not be audited, so it was not made";
    }
  }
  return status;
}

std::optional<Outcome> Invoker::keep_reply(crm_call& call, const Invocation& inv, crm_status& status) {
  if (!keyed(inv) || status != CRM_OK || call.aborted) return std::nullopt;
  const char* params[] = {inv.idempotency_key, call.replied ? call.reply.c_str() : nullptr};
  try {
    auto r = run_sql(call, "insert into crm_idempotency (key, reply) values ($1, $2) on conflict do nothing", params, 2);
    if (std::string_view(PQcmdTuples(r.get())) != "0") return std::nullopt;
    // Another call with this key committed first: keep its effect, not ours.
    crm_status undo = CRM_E_CONFLICT;
    finish_transaction(call, undo);
    return keyed_repeat(call, *inv.op, inv.idempotency_key);
  } catch (const storage::PgError&) {
    status = CRM_E_UNAVAILABLE;
    call.failure_message = "the reply could not be kept for the idempotency key, so the change was not made";
    return std::nullopt;
  }
}

Outcome Invoker::conclude(crm_call& call, crm_status status) {
  const Operation& op = *call.op;
  finish_transaction(call, status);
  // After the commit: a reader between our change and this sees the new
  // generation too late only to miss once, never to keep the old value.
  if (status == CRM_OK && !call.in_batch && !call.cache_invalidations.empty() && platform_.cache)
    platform_.cache->invalidate(op.plugin->name, call.cache_invalidations);
  if (status == CRM_OK) {
    Outcome o;
    o.http_status = call.replied ? op.http_status : (op.http_status == 200 ? 204 : op.http_status);
    o.body = std::move(call.reply);
    o.headers = std::move(call.headers);
    return o;
  }
  Outcome o = failed(status, call.failure_message.empty() ? default_message(status) : std::move(call.failure_message));
  o.transient = call.transient_failure;
  o.errors = std::move(call.errors);
  o.headers = std::move(call.headers);
  return o;
}

Outcome Invoker::invoke_host(const Invocation& inv) {
  const Operation& op = *inv.op;
  HostCall call;
  call.op = &op;
  call.input = inv.input;
  call.parsed = inv.parsed;
  call.path = inv.path;
  call.body = inv.body;
  call.content_type = inv.content_type;
  call.principal = inv.principal;
  call.request_id = inv.request_id;
  call.client_ip = inv.client_ip;
  try {
    op.host_handler(call);
  } catch (const std::exception& e) {
    log::warn("invoker", std::string("host operation failed: ") + e.what(),
              {{"operation", op.name}, {"request_id", inv.request_id}});
    return failed(CRM_E_UNAVAILABLE, "the database is unavailable; try again");
  }

  Outcome o;
  o.headers = std::move(call.headers);
  if (call.failure) {
    o.status = status_for_http(call.failure);
    o.http_status = call.failure;
    if (!call.problem.empty()) {
      o.body = std::move(call.problem);
      o.preformatted_problem = true;
    } else {
      o.message = call.message.empty() ? default_message(o.status) : std::move(call.message);
      o.errors = std::move(call.errors);
    }
    return o;
  }
  o.http_status = call.status ? call.status : op.http_status;
  o.body = std::move(call.reply);
  o.content_type = std::move(call.content_type_out);
  if (!op.read_only && !(op.flags & CRM_OP_NO_AUDIT)) {
    // The action has happened (it owns no transaction here to roll back), so
    // a failed entry cannot undo it: the log keeps the trail instead.
    security::AuditLog::Entry entry;
    entry.actor = inv.principal->anonymous() ? std::string() : inv.principal->id;
    entry.action = op.name;
    entry.resource_id = std::move(call.resource_id);
    entry.client_ip = inv.client_ip;
    entry.request_id = inv.request_id;
    entry.detail = std::move(call.audit_detail);
    try {
      if (!platform_.audit) throw std::runtime_error("no audit log on this host");
      platform_.audit->write(entry);
    } catch (const std::exception& e) {
      log::error("invoker", std::string("a host action succeeded but its audit entry was not written: ") + e.what(),
                 {{"operation", op.name}, {"actor", entry.actor}, {"resource", entry.resource_id},
                  {"request_id", inv.request_id}});
    }
  }
  return o;
}

void Invoker::audit_success(crm_call& call) {
  // The resource: the input's "id" (a path parameter, usually), else the
  // reply's top-level "id" (a create).
  auto id_of = [](const Poco::JSON::Object::Ptr& o) -> std::string {
    return o && o->has("id") && o->get("id").isString() ? o->getValue<std::string>("id") : std::string();
  };
  auto top_level_id = [&id_of](std::string_view json) -> std::string {
    try {
      if (json.empty() || json.front() != '{') return {};
      Poco::JSON::Parser parser;
      return id_of(parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>());
    } catch (const std::exception&) {
    }
    return {};
  };
  // The REST path parsed the input already: read that rather than parse again.
  std::string resource;
  if (call.parsed_input && call.parsed_input->type() == typeid(Poco::JSON::Object::Ptr))
    resource = id_of(call.parsed_input->extract<Poco::JSON::Object::Ptr>());
  else
    resource = top_level_id(call.input);
  if (resource.empty() && call.replied) resource = top_level_id(call.reply);
  write_audit(call, call.op->name.c_str(), resource.empty() ? nullptr : resource.c_str(), "SUCCESS", nullptr);
}

void Invoker::write_audit(crm_call& call, const char* action, const char* resource_id, const char* outcome,
                          const char* detail) {
  const Delegation* d = call.delegation;
  const std::string actor = d ? d->actor : call.principal->anonymous() ? std::string() : call.principal->id;
  const char* params[] = {actor.empty() ? nullptr : actor.c_str(),
                          action,
                          resource_id,
                          outcome,
                          *call.client_ip ? call.client_ip : nullptr,
                          *call.request_id ? call.request_id : nullptr,
                          detail,
                          d && !d->on_behalf_of.empty() ? d->on_behalf_of.c_str() : nullptr,
                          d && !d->instance_id.empty() ? d->instance_id.c_str() : nullptr};
  run_sql(call, security::AuditLog::kInsert, params, 9);
}

void Invoker::finish_transaction(crm_call& call, crm_status& status) {
  call.rows.clear();
  if (!call.connection) return;
  if (call.in_batch) {
    end_savepoint(call, status);
    return; // the connection goes back to the batch
  }
  if (call.in_transaction) {
    try {
      if (status == CRM_OK && call.aborted) {
        // The handler ignored a failed statement; what it wrote is gone.
        log::error("invoker", "handler reported success after a failed statement; rolled back",
                   {{"operation", call.op->name}, {"request_id", call.request_id}});
        status = CRM_E_INTERNAL;
        call.failure_message = "internal error";
      }
      if (call.op->read_only && !call.aborted) {
        // Nothing to lose: the reply need not wait for the COMMIT's answer.
        call.connection->send_and_forget(status == CRM_OK ? "COMMIT" : "ROLLBACK");
      } else if (status == CRM_OK || (call.commit_on_failure && !call.aborted)) {
        if (!call.principals_changed.empty()) announce_principal_changes(call);
        call.connection->exec("COMMIT");
        if (call.emitted && platform_.notifier)
          platform_.notifier->notify(storage::PgNotifier::outbox, call.op->plugin->name);
        if (platform_.principals)
          for (const auto& subject : call.principals_changed) platform_.principals->drop(subject);
      } else {
        call.connection->exec("ROLLBACK");
      }
    } catch (const storage::PgError& e) {
      if (e.transient()) call.transient_failure = true;
      if (status == CRM_OK) {
        status = e.status() == CRM_E_CONFLICT ? CRM_E_CONFLICT : CRM_E_UNAVAILABLE;
        call.failure_message = status == CRM_E_CONFLICT ? "the change conflicts with a concurrent change"
                                                        : "the database is unavailable";
        log::warn("invoker", std::string("commit failed: ") + e.what(),
                  {{"operation", call.op->name}, {"request_id", call.request_id}});
      }
      call.connection->mark_broken();
    }
  }
  call.connection.release();
}

void Invoker::end_savepoint(crm_call& call, crm_status& status) {
  if (!call.in_transaction) return; // nothing ran: no savepoint was opened
  call.in_transaction = false;
  if (status == CRM_OK && call.aborted) {
    log::error("invoker", "handler reported success after a failed statement; rolled back",
               {{"operation", call.op->name}, {"request_id", call.request_id}});
    status = CRM_E_INTERNAL;
    call.failure_message = "internal error";
  }
  try {
    if (status == CRM_OK || (call.commit_on_failure && !call.aborted)) {
      // Kept, not released: the next event's savepoint nests in it, and a
      // rollback to "crm_event" goes to the newest one. Releasing would cost a
      // round trip an event and free nothing: a released subtransaction's id
      // stays with the transaction all the same.
      if (!call.principals_changed.empty()) announce_principal_changes(call);
    } else {
      call.connection->exec("ROLLBACK TO SAVEPOINT crm_event");
    }
  } catch (const storage::PgError& e) {
    // The batch's transaction is gone with it: nothing of the batch commits.
    call.batch_broken = true;
    if (e.transient()) call.transient_failure = true;
    if (status == CRM_OK) {
      status = CRM_E_UNAVAILABLE;
      call.failure_message = "the database is unavailable";
    }
  }
}

// NOTIFY is transactional: the other hosts hear of the change only if it commits.
void Invoker::announce_principal_changes(crm_call& call) {
  for (const auto& subject : call.principals_changed) {
    const char* params[] = {subject.c_str()};
    call.connection->query("select pg_notify('crm_principal', $1)", params, 1);
  }
}

storage::PgResult Invoker::run_sql(crm_call& call, const char* sql, const char* const* params, int n_params) {
  if (!call.connection) call.connection = call.plugin->pool->acquire();
  const char* begin = call.in_transaction ? nullptr
                      : call.in_batch     ? "SAVEPOINT crm_event"
                      : call.op->read_only ? "BEGIN READ ONLY"
                                          : "BEGIN";
  try {
    auto r = call.connection->query(sql, params, n_params, begin);
    call.in_transaction = true;
    return r;
  } catch (const storage::PgError& e) {
    // BEGIN went out with the statement: the transaction exists, now aborted.
    if (call.connection->transaction_status() != PQTRANS_IDLE) call.in_transaction = true;
    call.aborted = true;
    if (e.transient()) call.transient_failure = true;
    throw;
  }
}

Outcome Invoker::invoke_nested(crm_call& parent, const std::string& operation, std::string_view input) {
  if (parent.depth + 1 >= kMaxDepth) return failed(CRM_E_INTERNAL, "operations call each other too deeply");
  const Operation* op = registry_.find_operation(operation);
  if (!op) return failed(CRM_E_NO_OPERATION, "no operation " + operation);
  // An owned copy: the ABI promises handlers a NUL-terminated input, and the
  // caller's buffer carries no such promise.
  const std::string owned_input(input);
  Invocation inv;
  inv.op = op;
  inv.input = owned_input;
  inv.principal = parent.principal;
  inv.request_id = parent.request_id;
  inv.trace_id = parent.trace_id;
  inv.client_ip = parent.client_ip;
  inv.event_id = parent.event_id;
  inv.delegation = parent.delegation;
  inv.depth = parent.depth + 1;
  return invoke(inv);
}

} // namespace crm::plugins
