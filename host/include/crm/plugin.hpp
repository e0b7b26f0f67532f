// plugin.hpp - header-only C++ SDK over plugin_abi.h.
//
// Handlers are plain functions taking a crm::Call&; they return nothing (or a
// crm_status) and report failure by throwing crm::Error. crm::handler<Fn> turns
// one into the C handler the ABI wants and catches every exception at the
// boundary: nothing C++ ever crosses into the host.
//
//   static void get_item(crm::Call& call) {
//     auto rows = call.sql("select id, name from items where id = $1", {call.input().text("id")});
//     call.reply_first(rows, "item");          // 404 when there is no row
//   }
//   static const crm_operation_def operations[] = {
//     crm::operation("shop.get_item", "*", "GET", "/api/items/{id}", crm::handler<get_item>),
//   };
//   CRM_PLUGIN(crm::plugin("shop", "1.0.0", "Items").operations(operations))
//
// Plugins link Poco::JSON for input parsing (crm::Input); replies are built
// with crm::JsonObject or come straight from SQL (Rows::json()).
#pragma once

#include <crm/plugin_abi.h>
#include <crm/plugin_services.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace crm {

namespace detail {
// The host's API table, set once by the SDK's init before any handler runs.
// Each plugin .so has its own copy (hidden visibility, loaded RTLD_LOCAL).
inline const crm_host_api* host = nullptr;
inline crm_status (*user_init)(const char* config_json, void** state) = nullptr;
inline void (*user_shutdown)(void* state) = nullptr;
} // namespace detail

// ---------------------------------------------------------------------------
// Errors: throw from a handler; the boundary turns them into fail()/add_error().
class Error : public std::exception {
public:
  Error(crm_status status, std::string message) : status_(status), message_(std::move(message)) {}
  Error& field(std::string name, std::string message) {
    fields_.emplace_back(std::move(name), std::move(message));
    return *this;
  }
  // The problem JSON of a failed Call::invoke (the callee's status, title,
  // detail and field errors); empty for any other error.
  Error& with_problem(std::string problem_json) {
    problem_ = std::move(problem_json);
    return *this;
  }
  crm_status status() const noexcept { return status_; }
  const char* what() const noexcept override { return message_.c_str(); }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }
  const std::string& problem() const noexcept { return problem_; }

private:
  crm_status status_;
  std::string message_;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string problem_;
};

inline Error invalid(std::string field, std::string message) {
  return Error(CRM_E_INVALID, "validation failed").field(std::move(field), std::move(message));
}
inline Error not_found(std::string_view what) { return Error(CRM_E_NOT_FOUND, std::string(what) + " not found"); }
inline Error conflict(std::string message) { return Error(CRM_E_CONFLICT, std::move(message)); }
inline Error forbidden(std::string message = "forbidden") { return Error(CRM_E_FORBIDDEN, std::move(message)); }
inline Error unauthenticated(std::string message) { return Error(CRM_E_UNAUTHENTICATED, std::move(message)); }
inline Error rate_limited(std::string message) { return Error(CRM_E_RATE_LIMITED, std::move(message)); }

// ---------------------------------------------------------------------------
// JSON writing: escaping and a small object builder for replies and events.
inline void append_json_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  out.push_back('"');
}

class JsonObject {
public:
  JsonObject() { text_.push_back('{'); }
  JsonObject& field(std::string_view key, std::string_view value) { return key_(key), append_json_string(text_, value), *this; }
  JsonObject& field(std::string_view key, const std::string& value) { return field(key, std::string_view(value)); }
  JsonObject& field(std::string_view key, const char* value) {
    return value ? field(key, std::string_view(value)) : null(key);
  }
  JsonObject& field(std::string_view key, const std::optional<std::string>& value) {
    return value ? field(key, std::string_view(*value)) : null(key);
  }
  JsonObject& field(std::string_view key, bool value) { return key_(key), text_ += value ? "true" : "false", *this; }
  JsonObject& field(std::string_view key, int64_t value) { return key_(key), text_ += std::to_string(value), *this; }
  JsonObject& field(std::string_view key, int value) { return field(key, static_cast<int64_t>(value)); }
  JsonObject& field(std::string_view key, double value) { return key_(key), text_ += std::to_string(value), *this; }
  JsonObject& null(std::string_view key) { return key_(key), text_ += "null", *this; }
  // `json` must already be valid JSON (an object, array, or a value from Rows::json()).
  JsonObject& raw(std::string_view key, std::string_view json) { return key_(key), text_ += json, *this; }
  std::string str() const { return text_ + '}'; }

private:
  void key_(std::string_view key) {
    if (text_.size() > 1) text_.push_back(',');
    append_json_string(text_, key);
    text_.push_back(':');
  }
  std::string text_;
};

// ---------------------------------------------------------------------------
// Input: the call's JSON object, parsed once, with typed, validating getters.
class Input {
public:
  explicit Input(std::string_view json) {
    Poco::JSON::Parser parser;
    auto v = parser.parse(std::string(json));
    object_ = v.extract<Poco::JSON::Object::Ptr>();
  }
  bool has(const std::string& key) const { return object_->has(key) && !object_->isNull(key); }
  std::optional<std::string> text(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = object_->get(key);
    if (!v.isString()) throw invalid(key, "must be a string");
    return v.toString();
  }
  std::string required_text(const std::string& key) const {
    auto v = text(key);
    if (!v || v->empty()) throw invalid(key, "is required");
    return *v;
  }
  std::optional<int64_t> integer(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = object_->get(key);
    if (!v.isInteger()) throw invalid(key, "must be an integer");
    return v.convert<int64_t>();
  }
  std::optional<bool> boolean(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    auto v = object_->get(key);
    if (!v.isBoolean()) throw invalid(key, "must be true or false");
    return v.convert<bool>();
  }
  const Poco::JSON::Object& object() const { return *object_; }

private:
  Poco::JSON::Object::Ptr object_;
};

// ---------------------------------------------------------------------------
// SQL parameters: text or NULL. Built implicitly from strings, numbers, nullopt.
class Param {
public:
  Param(std::nullopt_t) : null_(true) {}
  Param(std::nullptr_t) : null_(true) {}
  Param(const char* s) : null_(s == nullptr), text_(s ? s : "") {}
  Param(std::string_view s) : text_(s) {}
  Param(const std::string& s) : text_(s) {}
  Param(std::string&& s) : text_(std::move(s)) {}
  Param(const std::optional<std::string>& s) : null_(!s), text_(s ? *s : std::string()) {}
  Param(int v) : text_(std::to_string(v)) {}
  Param(int64_t v) : text_(std::to_string(v)) {}
  Param(double v) : text_(std::to_string(v)) {}
  Param(bool v) : text_(v ? "true" : "false") {}
  const char* c_str() const { return null_ ? nullptr : text_.c_str(); }

private:
  bool null_ = false;
  std::string text_;
};

// Rows of one statement; borrowed from the host until the next sql() on the call.
class Rows {
public:
  explicit Rows(crm_rows* rows) : rows_(rows) {}
  size_t size() const { return rows_ ? detail::host->rows_count(rows_) : 0; }
  bool empty() const { return size() == 0; }
  size_t columns() const { return rows_ ? detail::host->rows_columns(rows_) : 0; }
  std::string_view column_name(size_t c) const { return detail::host->rows_column_name(rows_, c); }
  // The value as text, nullopt for SQL NULL.
  std::optional<std::string_view> at(size_t row, size_t column) const {
    size_t len = 0;
    const char* v = detail::host->rows_value(rows_, row, column, &len);
    if (!v) return std::nullopt;
    return std::string_view(v, len);
  }
  std::optional<std::string_view> at(size_t row, std::string_view column) const {
    for (size_t c = 0, n = columns(); c < n; ++c)
      if (column_name(c) == column) return at(row, c);
    throw Error(CRM_E_INTERNAL, "no column " + std::string(column));
  }
  std::string_view json() const { return json_(CRM_ROWS_ARRAY); }
  std::string_view first_json() const { return json_(CRM_ROWS_FIRST_OBJECT); }

private:
  std::string_view json_(int shape) const {
    if (!rows_) return shape == CRM_ROWS_ARRAY ? "[]" : "null";
    size_t len = 0;
    const char* j = detail::host->rows_json(rows_, shape, &len);
    return std::string_view(j, len);
  }
  crm_rows* rows_;
};

// The answer of another operation (Call::invoke_result): its status and, on
// CRM_OK, its reply; on failure its problem JSON.
struct InvokeResult {
  crm_status status = CRM_OK;
  std::string body;
  bool ok() const { return status == CRM_OK; }
  // The problem's "detail" (on failure), or "".
  std::string detail() const { return problem_member("detail"); }
  // The problem's field errors: {field path in the callee's input, message}.
  std::vector<std::pair<std::string, std::string>> errors() const {
    std::vector<std::pair<std::string, std::string>> out;
    if (ok() || body.empty()) return out;
    try {
      Poco::JSON::Parser parser;
      auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
      if (auto list = o->getArray("errors"))
        for (size_t i = 0; i < list->size(); ++i)
          if (auto e = list->getObject(static_cast<unsigned>(i)))
            out.emplace_back(e->optValue<std::string>("field", ""), e->optValue<std::string>("message", ""));
    } catch (const Poco::Exception&) {
    }
    return out;
  }

private:
  std::string problem_member(const std::string& key) const {
    if (ok() || body.empty() || body.front() != '{') return {};
    try {
      Poco::JSON::Parser parser;
      return parser.parse(body).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>(key, "");
    } catch (const Poco::Exception&) {
      return {};
    }
  }
};

// The principal as the host describes it.
struct Principal {
  std::string id;   // empty: anonymous
  std::string role; // a role word of the users' plugin, "system" (the host) or empty
  std::vector<std::string> team; // for a MANAGER: the users below it, transitively
  std::string jti;               // the access token's id (token callers)
  std::int64_t expires_at = 0;   // the access token's exp, unix seconds
  bool is(std::string_view r) const { return role == r; }
  bool anonymous() const { return id.empty(); }
  // The user itself or, for a MANAGER, one of its team; ADMIN and system: anyone.
  bool may_see_user(std::string_view user) const {
    if (role == "ADMIN" || role == "system") return true;
    if (user == id) return true;
    if (role != "MANAGER") return false;
    for (const auto& t : team)
      if (t == user) return true;
    return false;
  }
};

// A named service table of plugin_services.h (ABI 1.4), or nullptr when the
// host is older or has no such service. Fetched on each use: it is a lookup
// in a short list, and the table is static.
template <class Table> const Table* service(const char* name, uint32_t version) {
  if (!detail::host || !CRM_HOST_HAS(detail::host, get_service)) return nullptr;
  return static_cast<const Table*>(detail::host->get_service(name, version, nullptr));
}

// ---------------------------------------------------------------------------
// One invocation. Cheap to construct; everything is fetched on demand.
class Call {
public:
  explicit Call(crm_call* call) : call_(call) {}

  std::string_view input_json() const {
    size_t len = 0;
    const char* s = detail::host->input(call_, &len);
    return {s, len};
  }
  const Input& input() {
    if (!input_) input_.emplace(input_json());
    return *input_;
  }
  std::string_view principal_json() const {
    size_t len = 0;
    const char* s = detail::host->principal(call_, &len);
    return {s, len};
  }
  Principal principal() const {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(principal_json())).extract<Poco::JSON::Object::Ptr>();
    Principal p{o->isNull("id") ? std::string() : o->getValue<std::string>("id"), o->optValue<std::string>("role", ""),
                {}, o->optValue<std::string>("jti", ""), o->optValue<std::int64_t>("exp", 0)};
    if (auto team = o->getArray("team"))
      for (size_t i = 0; i < team->size(); ++i) p.team.push_back(team->getElement<std::string>(static_cast<unsigned>(i)));
    return p;
  }
  std::string_view info(const char* key) const {
    const char* v = detail::host->call_info(call_, key);
    return v ? std::string_view(v) : std::string_view();
  }

  // Runs one statement; throws crm::Error with the host's status on failure.
  Rows sql(std::string_view query, std::initializer_list<Param> params = {}) {
    std::string q(query);
    const char* values[32];
    if (params.size() > 32) throw Error(CRM_E_INTERNAL, "too many SQL parameters");
    size_t i = 0;
    for (const auto& p : params) values[i++] = p.c_str();
    crm_rows* out = nullptr;
    crm_status st = detail::host->sql(call_, q.c_str(), values, params.size(), &out);
    if (st != CRM_OK) throw Error(st, "");
    return Rows(out);
  }

  void emit(std::string_view type, std::string_view subject, std::string_view data_json) {
    std::string t(type), s(subject);
    crm_status st = detail::host->emit(call_, t.c_str(), s.empty() ? nullptr : s.c_str(), data_json.data(), data_json.size());
    if (st != CRM_OK) throw Error(st, "could not record event " + t);
  }

  // emit() that returns the new event's id (ABI 1.3).
  std::string emit_event(std::string_view type, std::string_view subject, std::string_view data_json) {
    require(CRM_HOST_HAS(detail::host, emit_event), "emit_event");
    std::string t(type), s(subject);
    char id[37] = {0};
    crm_status st = detail::host->emit_event(call_, t.c_str(), s.empty() ? nullptr : s.c_str(), data_json.data(),
                                             data_json.size(), id);
    if (st != CRM_OK) throw Error(st, "could not record event " + t);
    return id;
  }

  // Calls another operation; its status and its reply or problem. Throws
  // nothing for the callee's failure. CRM_E_NO_OPERATION: no loaded plugin
  // offers `operation`.
  InvokeResult invoke_result(std::string_view operation, std::string_view input_json) {
    std::string op(operation);
    const char* out = nullptr;
    size_t len = 0;
    InvokeResult r;
    if (CRM_HOST_HAS(detail::host, invoke_call)) {
      r.status = detail::host->invoke_call(call_, op.c_str(), input_json.data(), input_json.size(), &out, &len);
      r.body = out ? std::string(out, len) : std::string();
      return r;
    }
    // A host older than 1.4 answers a failure with its message only.
    r.status = detail::host->invoke(call_, op.c_str(), input_json.data(), input_json.size(), &out, &len);
    const std::string text = out ? std::string(out, len) : std::string();
    if (r.ok()) {
      r.body = text;
      return r;
    }
    if (r.status == CRM_E_NOT_FOUND && text.rfind("no operation ", 0) == 0) r.status = CRM_E_NO_OPERATION;
    JsonObject problem;
    problem.field("detail", std::string_view(text));
    r.body = problem.str();
    return r;
  }

  // Calls another operation; returns its reply or throws its failure: an
  // Error with the callee's status, its detail as the message and its problem
  // (Error::problem()). The callee's field errors are not the caller's
  // fields, so they are not copied into the Error's fields.
  std::string invoke(std::string_view operation, std::string_view input_json) {
    InvokeResult r = invoke_result(operation, input_json);
    if (!r.ok()) {
      std::string why = r.detail();
      throw Error(r.status, why).with_problem(std::move(r.body));
    }
    return std::move(r.body);
  }

  std::optional<std::string> cache_get(const std::string& key) {
    const char* v = nullptr;
    size_t len = 0;
    if (detail::host->cache_get(call_, key.c_str(), &v, &len) != CRM_OK || !v) return std::nullopt;
    return std::string(v, len);
  }
  void cache_set(const std::string& key, std::string_view value, unsigned ttl_seconds = 0) {
    detail::host->cache_set(call_, key.c_str(), value.data(), value.size(), ttl_seconds);
  }
  void cache_del(const std::string& key) { detail::host->cache_del(call_, key.c_str()); }

  void log(int level, const std::string& message) { detail::host->log(call_, level, message.c_str()); }

  // ---- services; each throws CRM_E_UNAVAILABLE on a host without it ----
  // A named service (ABI 1.4) where the host has it, else the core table's
  // deprecated entry of ABI 1.1 to 1.3.

  // {"accessToken", "tokenType", "expiresIn", "jti", "expiresAt"} for subject/role.
  std::string issue_access_token(const std::string& subject, const std::string& role) {
    const char* out = nullptr;
    size_t len = 0;
    crm_status st;
    if (auto tokens = service<crm_tokens_service>(CRM_SERVICE_TOKENS, CRM_SERVICE_TOKENS_VERSION)) {
      st = tokens->issue_access_token(call_, subject.c_str(), role.c_str(), &out, &len);
    } else {
      require(CRM_HOST_HAS(detail::host, issue_access_token), "issue_access_token");
      st = detail::host->issue_access_token(call_, subject.c_str(), role.c_str(), &out, &len);
    }
    check(st, "cannot sign a token");
    return std::string(out, len);
  }
  void revoke_access_token(const std::string& jti, std::int64_t expires_at) {
    crm_status st;
    if (auto tokens = service<crm_tokens_service>(CRM_SERVICE_TOKENS, CRM_SERVICE_TOKENS_VERSION)) {
      st = tokens->revoke_access_token(call_, jti.c_str(), expires_at);
    } else {
      require(CRM_HOST_HAS(detail::host, revoke_access_token), "revoke_access_token");
      st = detail::host->revoke_access_token(call_, jti.c_str(), expires_at);
    }
    check(st, "cannot revoke the token");
  }
  void audit(const std::string& action, const std::string& resource_id, const std::string& outcome,
             const std::string& detail_json = {}) {
    require(CRM_HOST_HAS(detail::host, audit), "audit");
    check(detail::host->audit(call_, action.c_str(), resource_id.empty() ? nullptr : resource_id.c_str(),
                              outcome.c_str(), detail_json.empty() ? nullptr : detail_json.c_str()),
          "cannot write the audit entry");
  }
  std::string audit_query(std::string_view filter_json) {
    const char* out = nullptr;
    size_t len = 0;
    crm_status st;
    if (auto audit = service<crm_audit_service>(CRM_SERVICE_AUDIT, CRM_SERVICE_AUDIT_VERSION)) {
      st = audit->audit_query(call_, filter_json.data(), filter_json.size(), &out, &len);
    } else {
      require(CRM_HOST_HAS(detail::host, audit_query), "audit_query");
      st = detail::host->audit_query(call_, filter_json.data(), filter_json.size(), &out, &len);
    }
    check(st, "cannot read the audit log");
    return std::string(out, len);
  }
  void commit_on_failure() {
    require(CRM_HOST_HAS(detail::host, commit_on_failure), "commit_on_failure");
    detail::host->commit_on_failure(call_);
  }
  struct CounterValue {
    std::int64_t value = 0;
    std::int64_t ttl_left = -1; // seconds; -1: no expiry or absent
  };
  CounterValue counter_add(const std::string& key, std::int64_t delta, unsigned ttl_seconds = 0) {
    require(CRM_HOST_HAS(detail::host, counter_add), "counter_add");
    CounterValue v;
    check(detail::host->counter_add(call_, key.c_str(), delta, ttl_seconds, &v.value, &v.ttl_left),
          "counter unavailable");
    return v;
  }
  void counter_reset(const std::string& key) {
    require(CRM_HOST_HAS(detail::host, counter_reset), "counter_reset");
    detail::host->counter_reset(call_, key.c_str());
  }
  void set_header(const std::string& name, const std::string& value) {
    if (CRM_HOST_HAS(detail::host, set_header)) detail::host->set_header(call_, name.c_str(), value.c_str());
  }
  // subject empty: everyone's principal data changed.
  void principal_changed(const std::string& subject = {}) {
    const char* who = subject.empty() ? nullptr : subject.c_str();
    if (auto principals = service<crm_principals_service>(CRM_SERVICE_PRINCIPALS, CRM_SERVICE_PRINCIPALS_VERSION))
      principals->principal_changed(call_, who);
    else if (CRM_HOST_HAS(detail::host, principal_changed))
      detail::host->principal_changed(call_, who);
  }

  void reply(std::string_view json) { detail::host->reply(call_, json.data(), json.size()); }
  // Replies with the first row as an object; throws not_found(what) when empty.
  void reply_first(const Rows& rows, std::string_view what) {
    if (rows.empty()) throw not_found(what);
    reply(rows.first_json());
  }
  // Replies {"items": [...], "nextCursor": cursor|null}.
  void reply_page(const Rows& rows, const std::optional<std::string>& next_cursor) {
    std::string out = "{\"items\":";
    out += rows.json();
    out += ",\"nextCursor\":";
    if (next_cursor) append_json_string(out, *next_cursor); else out += "null";
    out += '}';
    reply(out);
  }

  crm_call* raw() const { return call_; }

private:
  static void require(bool present, const char* what) {
    if (!present) throw Error(CRM_E_UNAVAILABLE, std::string("the host is too old for ") + what);
  }
  static void check(crm_status st, const char* what) {
    if (st != CRM_OK) throw Error(st, what);
  }

  crm_call* call_;
  std::optional<Input> input_;
};

// The id of the instance `workflow` gets when the event `event_id` (from
// Call::emit_event) triggers it (the "workflows" service, or the core entry
// of ABI 1.3; empty with an older host).
inline std::string trigger_instance_id(std::string_view workflow, std::string_view event_id) {
  const std::string w(workflow), e(event_id);
  char id[37] = {0};
  if (auto workflows = service<crm_workflows_service>(CRM_SERVICE_WORKFLOWS, CRM_SERVICE_WORKFLOWS_VERSION))
    workflows->trigger_instance_id(w.c_str(), e.c_str(), id);
  else if (CRM_HOST_HAS(detail::host, trigger_instance_id))
    detail::host->trigger_instance_id(w.c_str(), e.c_str(), id);
  else
    return {};
  return id;
}

// ---------------------------------------------------------------------------
// The boundary: a C handler for a C++ function void(Call&) or crm_status(Call&).
template <auto Fn>
crm_status handler(crm_call* raw, void*) noexcept {
  try {
    Call call(raw);
    if constexpr (std::is_same_v<decltype(Fn(call)), void>) {
      Fn(call);
      return CRM_OK;
    } else {
      return Fn(call);
    }
  } catch (const Error& e) {
    // An empty message means the host already recorded why (a failed sql()).
    if (*e.what()) detail::host->fail(raw, e.status(), e.what());
    for (const auto& [field, message] : e.fields()) detail::host->add_error(raw, field.c_str(), message.c_str());
    return e.status();
  } catch (const Poco::Exception& e) {
    detail::host->log(raw, CRM_LOG_ERROR, e.displayText().c_str());
  } catch (const std::exception& e) {
    detail::host->log(raw, CRM_LOG_ERROR, e.what());
  } catch (...) {
    detail::host->log(raw, CRM_LOG_ERROR, "unknown exception");
  }
  detail::host->fail(raw, CRM_E_INTERNAL, "internal error");
  return CRM_E_INTERNAL;
}

constexpr crm_operation_def operation(const char* name, const char* roles, const char* method, const char* path,
                                      crm_handler h, int http_status = 0, const char* input_schema = nullptr,
                                      const char* summary = nullptr, unsigned flags = 0) {
  return crm_operation_def{name, roles, method, path, input_schema, h, http_status, summary, flags, nullptr};
}
// The same operation with extra CRM_OP_* flags.
constexpr crm_operation_def with_flags(crm_operation_def op, unsigned flags) {
  op.flags |= flags;
  return op;
}
// The same operation in another rate-limit class ("auth", ...).
constexpr crm_operation_def in_rate_class(crm_operation_def op, const char* rate_class) {
  op.rate_class = rate_class;
  return op;
}
// A read: READ ONLY transaction, its COMMIT off the reply's path.
constexpr crm_operation_def read_operation(const char* name, const char* roles, const char* path, crm_handler h,
                                           const char* summary = nullptr) {
  return crm_operation_def{name, roles, "GET", path, nullptr, h, 0, summary, CRM_OP_READ_ONLY, nullptr};
}
// An operation with no REST route (events, workflows, invoke only).
constexpr crm_operation_def internal_operation(const char* name, const char* roles, crm_handler h,
                                               const char* input_schema = nullptr) {
  return crm_operation_def{name, roles, nullptr, nullptr, input_schema, h, 0, nullptr, 0, nullptr};
}

namespace detail {
inline crm_status init(const crm_host_api* api, const char* config_json, void** state) {
  host = api;
  if (!user_init) return CRM_OK;
  try {
    return user_init(config_json, state);
  } catch (const std::exception& e) {
    api->log(nullptr, CRM_LOG_ERROR, e.what());
    return CRM_E_INTERNAL;
  } catch (...) {
    return CRM_E_INTERNAL;
  }
}
inline void shutdown(void* state) {
  if (user_shutdown) user_shutdown(state);
}
} // namespace detail

// Builds the plugin definition; use with CRM_PLUGIN(...).
class plugin {
public:
  plugin(const char* name, const char* version, const char* description) {
    def_ = crm_plugin_def{CRM_PLUGIN_DEF_SIZES, name, version, description, nullptr, 0, nullptr, 0, nullptr, 0,
                          nullptr, 0, &detail::init, &detail::shutdown, nullptr, 0};
  }
  template <size_t N> plugin& operations(const crm_operation_def (&a)[N]) { return def_.operations = a, def_.n_operations = N, *this; }
  template <size_t N> plugin& subscriptions(const crm_subscription_def (&a)[N]) { return def_.subscriptions = a, def_.n_subscriptions = N, *this; }
  template <size_t N> plugin& schedules(const crm_schedule_def (&a)[N]) { return def_.schedules = a, def_.n_schedules = N, *this; }
  template <size_t N> plugin& migrations(const crm_migration_def (&a)[N]) { return def_.migrations = a, def_.n_migrations = N, *this; }
  // The event types the plugin emits (ABI 1.4): static strings.
  template <size_t N> plugin& emits(const char* const (&a)[N]) { return def_.emits = a, def_.n_emits = N, *this; }
  // init(config_json, &state) runs once after migrations; shutdown(state) at stop.
  plugin& on_init(crm_status (*fn)(const char*, void**)) { return detail::user_init = fn, *this; }
  plugin& on_shutdown(void (*fn)(void*)) { return detail::user_shutdown = fn, *this; }
  const crm_plugin_def& def() const { return def_; }

private:
  crm_plugin_def def_;
};

} // namespace crm

// Exports crm_plugin_entry returning the definition built by `builder_expr`.
#define CRM_PLUGIN(builder_expr)                                                                   \
  extern "C" CRM_PLUGIN_EXPORT const crm_plugin_def* crm_plugin_entry(uint32_t host_abi) {         \
    if (CRM_ABI_MAJOR_OF(host_abi) != CRM_ABI_MAJOR) return nullptr;                                \
    static const crm_plugin_def def = (builder_expr).def();                                        \
    return &def;                                                                                   \
  }
