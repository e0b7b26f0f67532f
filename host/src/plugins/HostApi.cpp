// HostApi: the implementation of crm_host_api. See plugin_abi.h for the contract
// of each function; this file only keeps it.
#include "plugins/HostApi.hpp"

#include "cache/PluginCache.hpp"
#include "cache/SharedCounters.hpp"
#include "core/JsonText.hpp"
#include "log/Log.hpp"
#include "plugins/Call.hpp"
#include "plugins/HostServices.hpp"
#include "plugins/Invoker.hpp"
#include "storage/PgError.hpp"

#include <Poco/UUIDGenerator.h>

#include <cctype>
#include <cstring>
#include <ctime>
#include <string>

namespace crm::plugins {

namespace {

constexpr unsigned kOidBool = 16, kOidInt8 = 20, kOidInt2 = 21, kOidInt4 = 23, kOidOid = 26, kOidJson = 114,
                   kOidFloat4 = 700, kOidFloat8 = 701, kOidNumeric = 1700, kOidJsonb = 3802, kOidTimestamp = 1114,
                   kOidTimestamptz = 1184;

// PostgreSQL prints "2026-11-23 09:45:20.779829+00" in a UTC session; the API
// speaks RFC 3339: "2026-11-23T09:45:20.779829Z".
void append_timestamp(std::string& out, std::string_view v, bool with_zone) {
  if (v.size() < 19 || v[10] != ' ') {
    core::append_json_string(out, v); // infinity and friends
    return;
  }
  out.push_back('"');
  out.append(v.data(), 10);
  out.push_back('T');
  if (with_zone && v.size() >= 3 && v.substr(v.size() - 3) == "+00") {
    out.append(v.data() + 11, v.size() - 14);
    out.push_back('Z');
  } else {
    out.append(v.data() + 11, v.size() - 11);
  }
  out.push_back('"');
}

const char* level_name(int level) {
  switch (level) {
  case CRM_LOG_DEBUG: return "debug";
  case CRM_LOG_WARN: return "warn";
  case CRM_LOG_ERROR: return "error";
  default: return "info";
  }
}

thread_local const std::string* t_current_plugin = nullptr;

} // namespace

void log_for(crm_call* call, int level, std::string_view message) {
  std::string_view plugin = call && call->plugin ? std::string_view(call->plugin->name)
                            : t_current_plugin   ? std::string_view(*t_current_plugin)
                                                 : std::string_view();
  std::string_view op = call && call->op ? std::string_view(call->op->name) : std::string_view();
  std::string_view rid = call ? std::string_view(call->request_id) : std::string_view();
  std::string_view tid = call ? std::string_view(call->trace_id) : std::string_view();
  log::write(level_name(level), "plugin", message,
             {{"plugin", plugin}, {"operation", op}, {"request_id", rid}, {"trace_id", tid}});
}

namespace {

// What the caller is told when a plugin's statement fails; the SQL error itself
// goes to the log only.
const char* public_message(crm_status s) {
  switch (s) {
  case CRM_E_CONFLICT: return "the change conflicts with existing data";
  case CRM_E_INVALID: return "the data was refused by the database";
  case CRM_E_FORBIDDEN: return "access denied";
  case CRM_E_UNAVAILABLE: return "the database is unavailable";
  default: return "internal error";
  }
}

} // namespace

void record_failure(crm_call* call, crm_status s, std::string message) {
  if (call->failure != CRM_OK) return; // the first cause wins
  call->failure = s;
  call->failure_message = std::move(message);
}

namespace {

const char* input(crm_call* call, size_t* len) {
  if (len) *len = call->input.size();
  return call->input.data();
}

const char* principal(crm_call* call, size_t* len) {
  const std::string& j = call->principal->json;
  if (len) *len = j.size();
  return j.c_str();
}

const char* call_info(crm_call* call, const char* key) {
  if (!call || !key) return nullptr;
  if (!std::strcmp(key, "operation")) return call->op->name.c_str();
  if (!std::strcmp(key, "request_id")) return call->request_id;
  if (!std::strcmp(key, "trace_id")) return call->trace_id;
  if (!std::strcmp(key, "client_ip")) return call->client_ip;
  if (!std::strcmp(key, "event_id")) return call->event_id;
  if (!std::strcmp(key, "idempotency_key")) return call->request_idempotency_key;
  if (!std::strcmp(key, "plugin")) return call->plugin->name.c_str();
  return nullptr;
}

crm_status sql(crm_call* call, const char* statement, const char* const* params, size_t n_params, crm_rows** out) {
  if (out) *out = nullptr;
  if (!call || !statement) return CRM_E_INTERNAL;
  if (!statement_allowed(statement)) {
    log_for(call, CRM_LOG_ERROR, std::string("statement refused (transaction and session control belong to the host): ") + statement);
    record_failure(call, CRM_E_INTERNAL, "internal error");
    return CRM_E_INTERNAL;
  }
  if (call->aborted) {
    record_failure(call, CRM_E_INTERNAL, "internal error");
    return CRM_E_INTERNAL;
  }
  try {
    auto rows = std::make_unique<crm_rows>();
    rows->result = call->invoker->run_sql(*call, statement, params, static_cast<int>(n_params));
    call->rows.push_back(std::move(rows));
    if (out) *out = call->rows.back().get();
    return CRM_OK;
  } catch (const storage::PgError& e) {
    crm_status s = e.status();
    log_for(call, s == CRM_E_CONFLICT || s == CRM_E_INVALID ? CRM_LOG_INFO : CRM_LOG_WARN,
            std::string(e.what()) + " [SQLSTATE " + e.sqlstate() + "]");
    record_failure(call, s, public_message(s));
    return s;
  }
}

size_t rows_count(const crm_rows* r) { return r ? static_cast<size_t>(r->result.rows()) : 0; }
size_t rows_columns(const crm_rows* r) { return r ? static_cast<size_t>(r->result.columns()) : 0; }
const char* rows_column_name(const crm_rows* r, size_t c) {
  return r && c < rows_columns(r) ? PQfname(r->result.get(), static_cast<int>(c)) : nullptr;
}
const char* rows_value(const crm_rows* r, size_t row, size_t col, size_t* len) {
  if (!r || row >= rows_count(r) || col >= rows_columns(r)) return nullptr;
  int ri = static_cast<int>(row), ci = static_cast<int>(col);
  if (r->result.is_null(ri, ci)) {
    if (len) *len = 0;
    return nullptr;
  }
  if (len) *len = static_cast<size_t>(r->result.length(ri, ci));
  return r->result.value(ri, ci);
}

void append_row(std::string& out, const storage::PgResult& res, int row, const std::vector<std::string>& keys,
                const std::vector<unsigned>& types) {
  out.push_back('{');
  for (int c = 0; c < res.columns(); ++c) {
    if (c) out.push_back(',');
    out += keys[c];
    if (res.is_null(row, c)) {
      out += "null";
      continue;
    }
    const char* v = res.value(row, c);
    size_t n = static_cast<size_t>(res.length(row, c));
    switch (types[c]) {
    case kOidBool: out += (v[0] == 't') ? "true" : "false"; break;
    case kOidInt2: case kOidInt4: case kOidInt8: case kOidOid: out.append(v, n); break;
    case kOidFloat4: case kOidFloat8: case kOidNumeric:
      // NaN and Infinity have no JSON number.
      if (std::isdigit(static_cast<unsigned char>(v[0])) || (v[0] == '-' && std::isdigit(static_cast<unsigned char>(v[1]))))
        out.append(v, n);
      else
        core::append_json_string(out, std::string_view(v, n));
      break;
    case kOidJson: case kOidJsonb: out.append(v, n); break;
    case kOidTimestamptz: append_timestamp(out, std::string_view(v, n), true); break;
    case kOidTimestamp: append_timestamp(out, std::string_view(v, n), false); break;
    default: core::append_json_string(out, std::string_view(v, n));
    }
  }
  out.push_back('}');
}

const char* rows_json(crm_rows* r, int shape, size_t* len) {
  if (!r) return nullptr;
  if (r->json_shape != shape) {
    const auto& res = r->result;
    std::vector<std::string> keys(res.columns());
    std::vector<unsigned> types(res.columns());
    for (int c = 0; c < res.columns(); ++c) {
      core::append_json_string(keys[c], PQfname(res.get(), c));
      keys[c].push_back(':');
      types[c] = PQftype(res.get(), c);
    }
    r->json.clear();
    if (shape == CRM_ROWS_FIRST_OBJECT) {
      if (res.rows() == 0) r->json = "null";
      else append_row(r->json, res, 0, keys, types);
    } else {
      r->json.push_back('[');
      for (int i = 0; i < res.rows(); ++i) {
        if (i) r->json.push_back(',');
        append_row(r->json, res, i, keys, types);
      }
      r->json.push_back(']');
    }
    r->json_shape = shape;
  }
  if (len) *len = r->json.size();
  return r->json.c_str();
}

} // namespace

bool valid_event_type(const char* t) {
  // <entity>.<verb>, lower case, digits and underscores.
  size_t n = std::strlen(t), dots = 0;
  if (n == 0 || n > 100 || t[0] == '.' || t[n - 1] == '.') return false;
  for (size_t i = 0; i < n; ++i) {
    char c = t[i];
    if (c == '.') ++dots;
    else if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return dots >= 1;
}

namespace {

// A plugin that declares its event types (emits) is warned, once per type,
// about one it did not declare: workflow validation does not know that type.
void warn_if_undeclared(crm_call* call, const char* type) {
  PluginInstance& plugin = *call->plugin;
  if (!plugin.declares_emits || plugin.emits.count(type)) return;
  {
    std::lock_guard lock(plugin.undeclared_mutex);
    if (!plugin.undeclared_warned.insert(type).second) return;
  }
  log_for(call, CRM_LOG_WARN,
          std::string("emits event type '") + type +
              "' that its definition does not declare (emits): workflows cannot be validated against it");
}

crm_status emit_event(crm_call* call, const char* type, const char* subject, const char* data, size_t len,
                      char id_out[37]) {
  if (!call || !type || !valid_event_type(type)) {
    log_for(call, CRM_LOG_ERROR, std::string("emit: bad event type '") + (type ? type : "") + "'");
    record_failure(call, CRM_E_INTERNAL, "internal error");
    return CRM_E_INTERNAL;
  }
  warn_if_undeclared(call, type);
  if (call->aborted) return CRM_E_INTERNAL;
  std::string payload = data && len ? std::string(data, len) : std::string("{}");
  const std::string& actor = call->principal->anonymous() ? std::string("anonymous") : call->principal->id;
  // The id is drawn here rather than by the database, so that the caller may
  // know it (emit_event) at no extra round trip.
  const std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  const char* params[] = {type, call->plugin->name.c_str(), subject, actor.c_str(),
                          *call->trace_id ? call->trace_id : nullptr, payload.c_str(), id.c_str()};
  try {
    // The relays are woken after the commit (Invoker, through PgNotifier),
    // not by a NOTIFY in this transaction: that would hold the database's
    // notification lock until this commit is on disk. A host assembled
    // without the notifier (tests) NOTIFYs here, as delivered on commit.
    const bool woken_after = call->invoker->platform().notifier != nullptr;
    call->invoker->run_sql(*call,
                           woken_after ? "insert into crm_outbox (id, type, source, subject, actor, traceparent, data) "
                                         "values ($7::uuid, $1, $2, $3, $4, $5, $6::jsonb)"
                                       : "with e as (insert into crm_outbox (id, type, source, subject, actor, "
                                         "traceparent, data) values ($7::uuid, $1, $2, $3, $4, $5, $6::jsonb)) "
                                         "select pg_notify('crm_outbox', $2)",
                           params, 7);
    call->emitted = true;
    if (id_out) std::memcpy(id_out, id.c_str(), id.size() + 1);
    return CRM_OK;
  } catch (const storage::PgError& e) {
    crm_status s = e.status();
    log_for(call, CRM_LOG_ERROR, std::string("emit ") + type + ": " + e.what());
    record_failure(call, s == CRM_E_UNAVAILABLE ? s : CRM_E_INTERNAL, public_message(s));
    return s == CRM_E_UNAVAILABLE ? s : CRM_E_INVALID;
  }
}

crm_status emit(crm_call* call, const char* type, const char* subject, const char* data, size_t len) {
  return emit_event(call, type, subject, data, len, nullptr);
}

Outcome invoke_peer(crm_call* call, const char* operation, const char* input_json, size_t len) {
  Outcome o = call->invoker->invoke_nested(*call, operation, std::string_view(input_json ? input_json : "{}", input_json ? len : 2));
  // The nested call's deadlock is this call's too: it is worth another try.
  if (o.transient) call->transient_failure = true;
  return o;
}

void hand_out(crm_call* call, std::string text, const char** out, size_t* out_len) {
  const std::string& kept = call->keep(std::move(text));
  if (out) *out = kept.c_str();
  if (out_len) *out_len = kept.size();
}

// ABI 1.0: the reply, or only the failure's message.
crm_status invoke(crm_call* call, const char* operation, const char* input_json, size_t len, const char** out,
                  size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!call || !operation) return CRM_E_INTERNAL;
  Outcome o = invoke_peer(call, operation, input_json, len);
  hand_out(call, o.status == CRM_OK ? std::move(o.body) : std::move(o.message), out, out_len);
  // A plugin older than 1.4 knows no CRM_E_NO_OPERATION: it was NOT_FOUND
  // with the message "no operation <name>".
  return o.status == CRM_E_NO_OPERATION ? CRM_E_NOT_FOUND : o.status;
}

// ABI 1.4: the reply, or the callee's whole problem.
crm_status invoke_call(crm_call* call, const char* operation, const char* input_json, size_t len, const char** out,
                       size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!call || !operation) return CRM_E_INTERNAL;
  Outcome o = invoke_peer(call, operation, input_json, len);
  if (o.status == CRM_OK) {
    hand_out(call, std::move(o.body), out, out_len);
    return CRM_OK;
  }
  if (o.preformatted_problem) {
    hand_out(call, std::move(o.body), out, out_len);
    return o.status;
  }
  core::Problem problem;
  problem.status = o.http_status;
  problem.detail = std::move(o.message);
  problem.errors = std::move(o.errors);
  hand_out(call, problem.to_json(), out, out_len);
  return o.status;
}

crm_status cache_get(crm_call* call, const char* key, const char** value, size_t* len) {
  if (value) *value = nullptr;
  if (len) *len = 0;
  if (!call || !key || !*key) return CRM_E_INVALID;
  cache::PluginCache* cache = call->invoker->platform().cache;
  if (!cache) return CRM_E_UNAVAILABLE;
  std::string generation, found;
  switch (cache->get(call->plugin->name, key, found, generation)) {
  case cache::PluginCache::Result::Hit: hand_out(call, std::move(found), value, len); return CRM_OK;
  case cache::PluginCache::Result::Miss:
    for (auto& [k, g] : call->cache_generations)
      if (k == key) {
        g = std::move(generation);
        return CRM_E_NOT_FOUND;
      }
    call->cache_generations.emplace_back(key, std::move(generation));
    return CRM_E_NOT_FOUND;
  default: return CRM_E_UNAVAILABLE;
  }
}

crm_status cache_set(crm_call* call, const char* key, const char* value, size_t len, unsigned ttl_seconds) {
  if (!call || !key || !*key || !value) return CRM_E_INVALID;
  cache::PluginCache* cache = call->invoker->platform().cache;
  if (!cache) return CRM_E_UNAVAILABLE;
  // A key this call changed must not be cached from inside the same call.
  for (const auto& k : call->cache_invalidations)
    if (k == key) return CRM_OK;
  std::string generation;
  for (const auto& [k, g] : call->cache_generations)
    if (k == key) generation = g;
  cache->set(call->plugin->name, key, generation, std::string_view(value, len), ttl_seconds);
  return CRM_OK;
}

crm_status cache_del(crm_call* call, const char* key) {
  if (!call || !key || !*key) return CRM_E_INVALID;
  if (!call->invoker->platform().cache) return CRM_E_UNAVAILABLE;
  call->cache_invalidations.emplace_back(key);
  return CRM_OK;
}

void log_message(crm_call* call, int level, const char* message) {
  if (message) log_for(call, level, message);
}

void reply(crm_call* call, const char* json, size_t len) {
  if (!call) return;
  call->reply.assign(json ? json : "null", json ? len : 4);
  call->replied = true;
}

void fail(crm_call* call, crm_status status, const char* message) {
  if (!call) return;
  call->failure = status == CRM_OK ? CRM_E_INTERNAL : status;
  call->failure_message = message ? message : "";
}

void add_error(crm_call* call, const char* field, const char* message) {
  if (!call) return;
  call->errors.push_back({field ? field : "", message ? message : ""});
}

// ---- ABI 1.1 ----

crm_status audit(crm_call* call, const char* action, const char* resource_id, const char* outcome,
                 const char* detail) {
  if (!call || !action || !outcome) return CRM_E_INTERNAL;
  if (call->aborted) return CRM_E_INTERNAL;
  try {
    call->invoker->write_audit(*call, action, resource_id, outcome, detail);
    call->audited = true;
    return CRM_OK;
  } catch (const storage::PgError& e) {
    log_for(call, CRM_LOG_ERROR, std::string("audit: ") + e.what());
    record_failure(call, e.status() == CRM_E_UNAVAILABLE ? CRM_E_UNAVAILABLE : CRM_E_INTERNAL, "internal error");
    return CRM_E_INTERNAL;
  }
}

void commit_on_failure(crm_call* call) {
  if (call) call->commit_on_failure = true;
}

// Counter keys are namespaced by plugin: "p:<plugin>:<key>".
crm_status counter_add(crm_call* call, const char* key, int64_t delta, unsigned ttl_seconds, int64_t* value,
                       int64_t* ttl_left) {
  if (value) *value = 0;
  if (ttl_left) *ttl_left = -1;
  if (!call || !key || !*key) return CRM_E_INTERNAL;
  const PlatformServices& ps = call->invoker->platform();
  if (!ps.counters) return CRM_E_UNAVAILABLE;
  auto v = ps.counters->add("p:" + call->plugin->name + ":" + key, delta, ttl_seconds);
  if (value) *value = v.value;
  if (ttl_left) *ttl_left = v.ttl_left;
  return CRM_OK;
}

crm_status counter_reset(crm_call* call, const char* key) {
  if (!call || !key || !*key) return CRM_E_INTERNAL;
  const PlatformServices& ps = call->invoker->platform();
  if (!ps.counters) return CRM_E_UNAVAILABLE;
  ps.counters->reset("p:" + call->plugin->name + ":" + key);
  return CRM_OK;
}

void set_header(crm_call* call, const char* name, const char* value) {
  if (!call || !name || !value) return;
  // Header injection: names are tokens, values one line.
  for (const char* c = name; *c; ++c)
    if (!std::isalnum(static_cast<unsigned char>(*c)) && *c != '-') return;
  if (std::strpbrk(value, "\r\n")) return;
  call->headers.emplace_back(name, value);
}

const void* get_service(const char* name, uint32_t version, size_t* size) {
  return host_service(name, version, size);
}

// Field by field, so that a function added to the ABI can never land in the
// wrong slot; the compiler checks the order against the header.
const crm_host_api kApi = {
    .abi_version = CRM_ABI_VERSION,
    .struct_size = sizeof(crm_host_api),
    .input = input,
    .principal = principal,
    .call_info = call_info,
    .sql = sql,
    .rows_count = rows_count,
    .rows_columns = rows_columns,
    .rows_column_name = rows_column_name,
    .rows_value = rows_value,
    .rows_json = rows_json,
    .emit = emit,
    .invoke = invoke,
    .cache_get = cache_get,
    .cache_set = cache_set,
    .cache_del = cache_del,
    .log = log_message,
    .reply = reply,
    .fail = fail,
    .add_error = add_error,
    // ABI 1.1
    .issue_access_token = services::issue_access_token, // deprecated: the "tokens" service
    .revoke_access_token = services::revoke_access_token, // deprecated: the "tokens" service
    .audit = audit,
    .audit_query = services::audit_query, // deprecated: the "audit" service
    .commit_on_failure = commit_on_failure,
    .counter_add = counter_add,
    .counter_reset = counter_reset,
    .set_header = set_header,
    .principal_changed = services::principal_changed, // deprecated: the "principals" service
    // ABI 1.3
    .emit_event = emit_event,
    .trigger_instance_id = services::trigger_instance_id, // deprecated: the "workflows" service
    // ABI 1.4
    .invoke_call = invoke_call,
    .get_service = get_service,
};

} // namespace

const crm_host_api* host_api() { return &kApi; }

void set_current_plugin(const std::string* name) { t_current_plugin = name; }

bool statement_allowed(const char* sql) {
  const char* p = sql;
  // Skip white space and comments before the first keyword.
  for (;;) {
    while (*p && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n') ++p;
    } else if (p[0] == '/' && p[1] == '*') {
      const char* end = std::strstr(p + 2, "*/");
      p = end ? end + 2 : p + std::strlen(p);
    } else {
      break;
    }
  }
  std::string word;
  while (*p && std::isalpha(static_cast<unsigned char>(*p))) word.push_back(static_cast<char>(std::toupper(*p++)));
  static const char* const refused[] = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
                                        "RELEASE", "SET", "RESET", "DISCARD", "PREPARE", "DEALLOCATE", "LISTEN",
                                        "UNLISTEN", "VACUUM", "COPY"};
  for (const char* r : refused)
    if (word == r) return false;
  return !word.empty() || *p == '(';
}

} // namespace crm::plugins
