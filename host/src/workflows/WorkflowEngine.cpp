// WorkflowEngine: see the header.
#include "workflows/WorkflowEngine.hpp"

#include "http/JsonText.hpp"
#include "log/Log.hpp"
#include "storage/PgError.hpp"
#include "workflows/LuaJson.hpp"
#include "workflows/WorkflowDefinition.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace crm::workflows {

namespace {

using Clock = std::chrono::steady_clock;

// {"a","b"} for a text[] parameter.
std::string pg_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// PostgreSQL's text form of a text[] ({a,"b c"}) back to strings.
std::vector<std::string> parse_pg_array(std::string_view text) {
  std::vector<std::string> out;
  if (text.size() < 2) return out;
  text = text.substr(1, text.size() - 2);
  size_t i = 0;
  while (i < text.size()) {
    std::string item;
    if (text[i] == '"') {
      ++i;
      while (i < text.size() && text[i] != '"') {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        item += text[i++];
      }
      ++i; // closing quote
    } else {
      while (i < text.size() && text[i] != ',') item += text[i++];
    }
    out.push_back(std::move(item));
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

std::string now_rfc3339() {
  return Poco::DateTimeFormatter::format(Poco::Timestamp(), "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string error_json(const std::string& where_key, const std::string& where, const std::string& message) {
  std::string out = "{";
  http::append_json_string(out, where_key);
  out += ':';
  http::append_json_string(out, where);
  out += ",\"message\":";
  http::append_json_string(out, message);
  return out + "}";
}

// A name-based UUID: the same instance, transition and number always give the
// same id, so an event or child emitted twice after a crash is one row.
std::string derived_uuid(const std::string& name) {
  static const Poco::UUID space("6f1c3c2e-3a55-4c3b-9d1e-6b0d0f4a7c11");
  return Poco::UUIDGenerator::defaultGenerator().createFromName(space, name).toString();
}

const char* kInstanceColumns =
    "i.id::text, i.name, i.version, i.kind, i.status, coalesce(i.state, ''), i.step, i.phase, i.run, i.attempt, "
    "i.seq, i.input::text, i.vars::text, coalesce(i.event::text, ''), i.cancel_requested, coalesce(i.error::text, ''), "
    "now()::text, coalesce(i.wait_events::text, '')";

} // namespace

struct WorkflowEngine::Instance {
  std::string id, name, version, kind, status, state, phase, input, vars, event, error, claimed_at;
  int step = 0, run = 1, attempt = 0, seq = 0;
  bool cancel_requested = false;
  std::vector<std::string> waited_before; // wait_events as claimed
  // Set by a transition into a wait, saved with it.
  std::vector<std::string> wait_events, wait_path;
  std::string wait_key;
  long long wake_in_ms = 0; // -1: no wake-up; 0: now
  bool release = false;     // give the lease back with this save
};

// One step or state run, recorded in workflow_steps.
struct StepRecord {
  std::string name, phase, status, started_at, result, error;
  int attempt = 1;
  double ms = 0;
};

// What a run of Lua asked for besides its result.
struct WorkflowEngine::Run {
  WorkflowEngine* engine = nullptr;
  Instance* instance = nullptr;
  std::string key_base; // idempotency keys: <key_base>:<n>
  int calls = 0;
  struct Emit {
    std::string id, type, subject, data;
  };
  std::vector<Emit> emits;
  struct Child {
    std::string id, name, input;
  };
  std::vector<Child> children;
};

// A definition version compiled in one worker's sandbox.
struct WorkflowEngine::Compiled {
  explicit Compiled(SandboxLimits limits) : box(limits) {}
  LuaSandbox box;
  WorkflowDefinition def;
  int def_ref = LUA_NOREF;
  Run* run = nullptr; // the run in progress, for the crm.* functions
  bool broken = false; // a run hit the memory cap: build a fresh state next time
};

struct WorkflowEngine::Worker {
  std::thread thread;
  std::map<std::string, std::unique_ptr<Compiled>> compiled; // version -> sandbox
};

// ---------------------------------------------------------------- crm.* in Lua

namespace {

WorkflowEngine::Run& current_run(lua_State* L) {
  auto* c = static_cast<WorkflowEngine::Compiled*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (!c->run) luaL_error(L, "crm functions are only available while an instance runs");
  return *c->run;
}

} // namespace

// crm.call(operation, args) -> the reply as a table; raises "<op>: <message>" on failure.
static int lua_crm_call(lua_State* L);
static int lua_crm_emit(lua_State* L);
static int lua_crm_start(lua_State* L);
static int lua_crm_now(lua_State* L);
static int lua_crm_log(lua_State* L);

struct EngineAccess {
  static plugins::Outcome call(WorkflowEngine::Run& run, const std::string& op_name, const std::string& input);
};

plugins::Outcome EngineAccess::call(WorkflowEngine::Run& run, const std::string& op_name, const std::string& input) {
  plugins::Outcome out;
  const plugins::Operation* op = run.engine->registry_ref().find_operation(op_name);
  if (!op) {
    out.status = CRM_E_NOT_FOUND;
    out.message = "no operation " + op_name + " is loaded";
    return out;
  }
  const std::string key = run.key_base + ":" + std::to_string(++run.calls);
  plugins::Invocation inv;
  inv.op = op;
  inv.input = input;
  inv.principal = &security::Principal::system_caller();
  inv.request_id = run.instance->id.c_str();
  inv.trace_id = run.instance->id.c_str();
  inv.idempotency_key = key.c_str();
  return run.engine->invoker_ref().invoke(inv);
}

static int lua_crm_call(lua_State* L) {
  auto& run = current_run(L);
  const std::string op = luaL_checkstring(L, 1);
  std::string input = "{}";
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      input = to_json(L, 2);
    } catch (const std::exception& e) {
      return luaL_error(L, "crm.call(%s): %s", op.c_str(), e.what());
    }
  }
  plugins::Outcome o = EngineAccess::call(run, op, input);
  if (o.status != CRM_OK) {
    std::string message = op + ": " + o.message;
    for (const auto& e : o.errors) message += "; " + e.field + ": " + e.message;
    lua_pushstring(L, message.c_str());
    return lua_error(L);
  }
  if (o.body.empty()) {
    lua_newtable(L);
    return 1;
  }
  try {
    push_json(L, o.body);
  } catch (const std::exception& e) {
    return luaL_error(L, "crm.call(%s): the reply is not JSON", op.c_str());
  }
  return 1;
}

static int lua_crm_emit(lua_State* L) {
  auto& run = current_run(L);
  WorkflowEngine::Run::Emit e;
  e.type = luaL_checkstring(L, 1);
  if (e.type.empty() || e.type.find_first_of(" *>") != std::string::npos)
    return luaL_error(L, "crm.emit: '%s' is not an event type", e.type.c_str());
  e.data = "{}";
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      e.data = to_json(L, 2);
    } catch (const std::exception& ex) {
      return luaL_error(L, "crm.emit(%s): %s", e.type.c_str(), ex.what());
    }
  }
  if (!lua_isnoneornil(L, 3)) e.subject = luaL_checkstring(L, 3);
  e.id = derived_uuid(run.key_base + ":emit:" + std::to_string(run.emits.size() + 1));
  run.emits.push_back(std::move(e));
  return 0;
}

static int lua_crm_start(lua_State* L) {
  auto& run = current_run(L);
  WorkflowEngine::Run::Child child;
  child.name = luaL_checkstring(L, 1);
  child.input = "{}";
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    try {
      child.input = to_json(L, 2);
    } catch (const std::exception& ex) {
      return luaL_error(L, "crm.start(%s): %s", child.name.c_str(), ex.what());
    }
  }
  child.id = derived_uuid(run.key_base + ":start:" + std::to_string(run.children.size() + 1));
  lua_pushstring(L, child.id.c_str());
  run.children.push_back(std::move(child));
  return 1;
}

static int lua_crm_now(lua_State* L) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushnumber(L, std::chrono::duration<double>(now).count());
  return 1;
}

// crm.iso(unix seconds) -> "2026-11-23T12:00:00.000Z"
static int lua_crm_iso(lua_State* L) {
  const double seconds = luaL_checknumber(L, 1);
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 253402300799.0)
    return luaL_error(L, "crm.iso: %f is not a time", seconds);
  const Poco::Timestamp t(static_cast<Poco::Timestamp::TimeVal>(seconds * 1e6));
  const std::string text = Poco::DateTimeFormatter::format(t, "%Y-%m-%dT%H:%M:%S.%iZ");
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

static int lua_crm_log(lua_State* L) {
  auto& run = current_run(L);
  size_t len = 0;
  const char* text = luaL_tolstring(L, 1, &len);
  log::info("workflow", std::string(text, std::min<size_t>(len, 2000)),
            {{"workflow", run.instance->name}, {"instance", run.instance->id}});
  return 0;
}

// ---------------------------------------------------------------- engine

WorkflowEngine::WorkflowEngine(EngineConfig config, WorkflowCatalog& catalog, plugins::PluginRegistry& registry,
                               plugins::Invoker& invoker, storage::ConnectionPool& pool)
    : config_(std::move(config)), catalog_(catalog), registry_(registry), invoker_(invoker), pool_(pool) {}

WorkflowEngine::~WorkflowEngine() {
  stop_ = true;
  wake_workers();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  if (housekeeping_.joinable()) housekeeping_.join();
  listener_.reset();
}

void WorkflowEngine::start(events::EventConsumers* consumers, std::string subject_prefix) {
  consumers_ = consumers;
  subject_prefix_ = std::move(subject_prefix);
  // A restarted host takes back what it held when it stopped (or died).
  try {
    auto conn = pool_.acquire();
    const char* p[] = {config_.host_id.c_str()};
    auto r = conn->query("update platform.workflow_instances set lease_until = null, lease_owner = null "
                         "where lease_owner = $1 and status in ('RUNNING', 'WAITING')",
                         p, 1);
    const std::string n = PQcmdTuples(r.get());
    if (n != "0") log::info("workflows", "taking back " + n + " instance(s) this host was running", {});
  } catch (const std::exception& e) {
    log::warn("workflows", std::string("cannot take back this host's instances yet: ") + e.what(), {});
  }
  listener_ = std::make_unique<storage::PgListener>(
      config_.conninfo, config_.password, std::vector<std::string>{"crm_workflow"},
      [this](storage::PgConnection&) { wake_workers(); },
      [this](const std::string&, const std::string&) { wake_workers(); });
  listener_->start();
  for (int i = 0; i < std::max(1, config_.workers); ++i) {
    auto w = std::make_unique<Worker>();
    Worker* raw = w.get();
    w->thread = std::thread([this, raw] { work(*raw); });
    workers_.push_back(std::move(w));
  }
  housekeeping_ = std::thread([this] {
    auto last_prune = Clock::now() - std::chrono::hours(1);
    while (!stop_) {
      try {
        sync_consumers();
        if (Clock::now() - last_prune > std::chrono::minutes(10)) {
          auto conn = pool_.acquire();
          conn->exec("delete from platform.workflow_mailbox where received_at < now() - interval '7 days'");
          last_prune = Clock::now();
        }
      } catch (const std::exception& e) {
        log::warn("workflows", std::string("housekeeping: ") + e.what(), {});
      }
      for (int i = 0; i < 20 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}


void WorkflowEngine::wake_workers() {
  {
    std::lock_guard lock(wake_mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void WorkflowEngine::sync_consumers() {
  std::set<std::string> waited;
  for (const auto& e : catalog_.entries()) {
    if (e.live_version.empty()) continue;
    for (const auto& [state, w] : e.live.waits) waited.insert(w.events.begin(), w.events.end());
    if (!consumers_ || e.live.trigger_event.empty()) continue;
    const std::string name = e.name;
    consumers_->add_consumer("workflow__" + name, subject_prefix_ + "." + e.live.trigger_event, "workflow:" + name,
                             [this, name](const std::string& envelope, const std::string& id, const std::string&) {
                               return on_trigger(name, envelope, id);
                             });
  }
  {
    // Waits of versions still running count too, though no longer live.
    auto conn = pool_.acquire();
    auto rows = conn->query("select distinct unnest(wait_events) from platform.workflow_instances "
                            "where status = 'WAITING'",
                            nullptr, 0);
    for (int i = 0; i < rows.rows(); ++i) waited.insert(rows.value(i, 0));
  }
  const bool any = !waited.empty();
  {
    std::lock_guard lock(waits_mutex_);
    waited_types_ = std::move(waited);
  }
  if (consumers_ && any)
    consumers_->add_consumer("workflows__waits", subject_prefix_ + ".>", "workflow:waits",
                             [this](const std::string& envelope, const std::string& id, const std::string& type) {
                               return on_event(envelope, id, type);
                             });
}

// ---------------------------------------------------------------- starting

std::string WorkflowEngine::insert_instance(storage::PgConnection& conn, const std::string& name,
                                            const std::string& input, const std::string* parent_id,
                                            const std::string* trigger_event_id, const std::string* id) {
  const std::string new_id = id ? *id : Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  const char* p[] = {new_id.c_str(), name.c_str(), input.c_str(), parent_id ? parent_id->c_str() : nullptr,
                     trigger_event_id ? trigger_event_id->c_str() : nullptr};
  // New instances start on the version last made live on any host.
  // Other hosts' workers hear of it through the NOTIFY, sent with the insert.
  auto r = conn.query("with started as (insert into platform.workflow_instances "
                      "(id, name, version, kind, status, state, input, parent_id, trigger_event_id, wake_at) "
                      "select $1::uuid, l.name, l.version, l.kind, 'RUNNING', l.start, $3::jsonb, $4::uuid, $5::uuid, "
                      "now() from platform.workflow_live l where l.name = $2 on conflict do nothing returning version) "
                      "select version, pg_notify('crm_workflow', '') from started",
                      p, 5);
  return r.rows() == 1 ? new_id + " " + r.value(0, 0) : std::string();
}

plugins::Outcome WorkflowEngine::on_trigger(const std::string& workflow, const std::string& envelope,
                                            const std::string& event_id) {
  plugins::Outcome out;
  if (!catalog_.is_live(workflow)) return out; // removed since: nothing to start
  std::string input = "{}";
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(envelope).extract<Poco::JSON::Object::Ptr>();
    if (!o->getObject("data")) {
      out.status = CRM_E_INVALID;
      out.message = "the event has no data object";
      return out;
    }
    // The input: the event's data, with the event itself under "event".
    Poco::JSON::Object::Ptr data = o->getObject("data");
    std::string text = envelope;
    input = "{\"event\":" + text + ",\"data\":";
    std::ostringstream s;
    data->stringify(s);
    input += s.str() + "}";
  } catch (const std::exception&) {
    out.status = CRM_E_INVALID;
    out.message = "not an event envelope";
    return out;
  }
  try {
    auto conn = pool_.acquire();
    const std::string started = insert_instance(*conn, workflow, input, nullptr, &event_id, nullptr);
    if (started.empty()) out.duplicate = true;
  } catch (const storage::PgError& e) {
    out.status = CRM_E_UNAVAILABLE;
    out.message = e.what();
    return out;
  }
  wake_workers();
  return out;
}

plugins::Outcome WorkflowEngine::on_event(const std::string& envelope, const std::string& event_id,
                                          const std::string& type) {
  plugins::Outcome out;
  {
    std::lock_guard lock(waits_mutex_);
    if (!waited_types_.count(type)) return out;
  }
  auto conn = pool_.acquire();
  try {
    const char* p[] = {type.c_str(), event_id.c_str(), envelope.c_str()};
    conn->query("select pg_advisory_xact_lock(hashtext('crm.wait:' || $1))", p, 1, "BEGIN");
    conn->query("insert into platform.workflow_mailbox (event_id, type, envelope) values ($2::uuid, $1, $3::jsonb) "
                "on conflict do nothing",
                p, 3);
    const char* q[] = {type.c_str(), envelope.c_str()};
    auto r = conn->query(
        "update platform.workflow_instances set status = 'RUNNING', event = $2::jsonb, wake_at = now(), "
        "updated_at = now() where status = 'WAITING' and $1 = any(wait_events) and wait_key = ($2::jsonb #>> wait_path) "
        "and ($2::jsonb ->> 'time')::timestamptz >= date_trunc('milliseconds', wait_since)",
        q, 2);
    const bool woke = std::string_view(PQcmdTuples(r.get())) != "0";
    if (woke) conn->exec("notify crm_workflow");
    conn->exec("commit");
    if (woke) wake_workers();
  } catch (const storage::PgError& e) {
    if (!e.connection_lost()) {
      try {
        conn->exec("rollback");
      } catch (...) {
        conn->mark_broken();
      }
    } else {
      conn->mark_broken();
    }
    out.status = e.status() == CRM_E_INVALID ? CRM_E_INVALID : CRM_E_UNAVAILABLE;
    out.message = e.what();
  }
  return out;
}

EngineReply WorkflowEngine::start_manual(const std::string& name, const std::string& body) {
  EngineReply reply;
  if (!catalog_.is_live(name)) {
    reply.status = 404;
    reply.message = "no live workflow " + name;
    return reply;
  }
  std::string input = "{}";
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var v = parser.parse(body.empty() ? "{}" : body);
    auto o = v.type() == typeid(Poco::JSON::Object::Ptr) ? v.extract<Poco::JSON::Object::Ptr>() : nullptr;
    if (!o) throw std::invalid_argument("not an object");
    if (o->has("input")) {
      auto in = o->getObject("input");
      if (!in) {
        reply.status = 422;
        reply.message = "the input is not valid";
        reply.errors.emplace_back("input", "must be an object");
        return reply;
      }
      std::ostringstream s;
      in->stringify(s);
      input = s.str();
    }
  } catch (const std::exception&) {
    reply.status = 422;
    reply.message = "the body must be a JSON object {\"input\": {...}}";
    reply.errors.emplace_back("body", "must be a JSON object");
    return reply;
  }
  auto conn = pool_.acquire();
  const std::string started = insert_instance(*conn, name, input, nullptr, nullptr, nullptr);
  if (started.empty()) {
    reply.status = 503;
    reply.message = "the workflow " + name + " is not stored yet; try again";
    return reply;
  }
  wake_workers();
  const size_t space = started.find(' ');
  reply.status = 201;
  reply.body = "{\"id\":\"" + started.substr(0, space) + "\",\"name\":";
  http::append_json_string(reply.body, name);
  reply.body += ",\"version\":";
  http::append_json_string(reply.body, started.substr(space + 1));
  reply.body += ",\"status\":\"RUNNING\"}";
  return reply;
}

// ---------------------------------------------------------------- working

void WorkflowEngine::work(Worker& w) {
  while (!stop_) {
    std::vector<Instance> batch;
    try {
      batch = claim(config_.claim_batch);
    } catch (const std::exception& e) {
      log::warn("workflows", std::string("cannot look for work, trying again in a second: ") + e.what(), {});
      for (int i = 0; i < 20 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (auto& inst : batch) {
      if (stop_) break; // the rest stay leased to this host id: taken back at restart
      try {
        advance(w, inst);
      } catch (const std::exception& e) {
        // The database failed under us: the lease runs out and the instance is taken up again.
        log::warn("workflows", std::string("instance interrupted, will resume: ") + e.what(),
                  {{"workflow", inst.name}, {"instance", inst.id}});
      }
    }
    if (static_cast<int>(batch.size()) >= config_.claim_batch) continue;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(config_.poll_ms), [this] { return woken_ || stop_.load(); });
    woken_ = false;
  }
}

std::vector<WorkflowEngine::Instance> WorkflowEngine::claim(int limit) {
  auto conn = pool_.acquire();
  const std::string n = std::to_string(limit), lease = std::to_string(config_.lease_seconds);
  const char* p[] = {config_.host_id.c_str(), n.c_str(), lease.c_str()};
  // A WAITING instance claimed is one whose timer fired: it is RUNNING from
  // here, so an event arriving now no longer ends its wait.
  auto rows = conn->query(std::string("with due as (select id from platform.workflow_instances "
                                      "where status in ('RUNNING', 'WAITING') and wake_at <= now() "
                                      "and (lease_until is null or lease_until < now()) "
                                      "order by wake_at limit $2::int for update skip locked) "
                                      "update platform.workflow_instances i set lease_owner = $1, "
                                      "lease_until = now() + make_interval(secs => $3::int), status = 'RUNNING' "
                                      "from due where i.id = due.id returning ") +
                              kInstanceColumns,
                          p, 3);
  std::vector<Instance> out(static_cast<size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    Instance& x = out[static_cast<size_t>(i)];
    x.id = rows.value(i, 0);
    x.name = rows.value(i, 1);
    x.version = rows.value(i, 2);
    x.kind = rows.value(i, 3);
    x.status = rows.value(i, 4);
    x.state = rows.value(i, 5);
    x.step = std::atoi(rows.value(i, 6));
    x.phase = rows.value(i, 7);
    x.run = std::atoi(rows.value(i, 8));
    x.attempt = std::atoi(rows.value(i, 9));
    x.seq = std::atoi(rows.value(i, 10));
    x.input = rows.value(i, 11);
    x.vars = rows.value(i, 12);
    x.event = rows.value(i, 13);
    x.cancel_requested = std::string_view(rows.value(i, 14)) == "t";
    x.error = rows.value(i, 15);
    x.claimed_at = rows.value(i, 16);
    x.waited_before = parse_pg_array(rows.value(i, 17));
  }
  return out;
}

WorkflowEngine::Compiled* WorkflowEngine::compiled(Worker& w, const std::string& name, const std::string& version) {
  auto it = w.compiled.find(version);
  if (it != w.compiled.end() && !it->second->broken) return it->second.get();
  std::string source;
  {
    std::lock_guard lock(sources_mutex_);
    auto s = sources_.find(version);
    if (s != sources_.end()) source = s->second;
  }
  if (source.empty()) {
    auto conn = pool_.acquire();
    const char* p[] = {name.c_str(), version.c_str()};
    auto rows = conn->query("select source from platform.workflow_definitions where name = $1 and version = $2", p, 2);
    if (rows.rows() != 1) throw std::runtime_error("version " + version + " of " + name + " is not stored");
    source = rows.value(0, 0);
    std::lock_guard lock(sources_mutex_);
    sources_[version] = source;
  }
  auto c = std::make_unique<Compiled>(config_.limits);
  if (auto failed = install_dsl(c->box, config_.lib_dir); !failed.empty()) throw std::runtime_error(failed);
  lua_State* L = c->box.state();
  c->box.push_environment();
  lua_newtable(L);
  const std::pair<const char*, lua_CFunction> functions[] = {
      {"call", lua_crm_call}, {"emit", lua_crm_emit}, {"start", lua_crm_start}, {"log", lua_crm_log}};
  for (const auto& [fname, fn] : functions) {
    lua_pushlightuserdata(L, c.get());
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, fname);
  }
  lua_pushcfunction(L, lua_crm_now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, lua_crm_iso);
  lua_setfield(L, -2, "iso");
  lua_setfield(L, -2, "crm");
  lua_pop(L, 1);
  DefinitionCheck check = check_definition(source, name + ".lua", DefinitionContext{{}, {}, config_.lib_dir},
                                           config_.limits);
  if (!check.errors.empty())
    throw std::runtime_error(name + ".lua:" + std::to_string(check.errors.front().line) + ": " +
                             check.errors.front().message);
  c->def = std::move(check.definition);
  auto run = c->box.run(source, "@" + name + ".lua");
  if (!run.ok) throw std::runtime_error(run.error);
  if (run.results > 1) lua_pop(L, run.results - 1);
  c->def_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  Compiled* raw = c.get();
  w.compiled[version] = std::move(c);
  return raw;
}

namespace {

// Pushes ctx {instance, input, vars|results, event} for a Lua function.
void push_context(lua_State* L, const WorkflowEngine::Instance& inst, const std::string& input,
                  const char* data_key, const std::string& data) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, inst.id.c_str());
  lua_setfield(L, -2, "instance");
  push_json(L, input);
  lua_setfield(L, -2, "input");
  push_json(L, data.empty() ? "{}" : data);
  lua_setfield(L, -2, data_key);
  if (!inst.event.empty()) {
    push_json(L, inst.event);
    lua_setfield(L, -2, "event");
  }
}

} // namespace

void WorkflowEngine::advance(Worker& w, Instance& inst) {
  Compiled* c = nullptr;
  try {
    c = compiled(w, inst.name, inst.version);
  } catch (const storage::PgError&) {
    throw;
  } catch (const std::exception& e) {
    // The stored version does not run here: nothing will change by waiting.
    log::error("workflows", std::string("cannot load the instance's version: ") + e.what(),
               {{"workflow", inst.name}, {"instance", inst.id}});
    auto conn = pool_.acquire();
    const std::string error = error_json("version", inst.version, e.what());
    const char* p[] = {inst.id.c_str(), error.c_str(), config_.host_id.c_str()};
    conn->query("update platform.workflow_instances set status = 'FAILED', error = $2::jsonb, lease_owner = null, "
                "lease_until = null, updated_at = now() where id = $1::uuid and lease_owner = $3",
                p, 3);
    return;
  }
  if (inst.kind == "saga") advance_saga(w, *c, inst);
  else advance_state_machine(w, *c, inst);
}

// Saves the instance (and a step record, and what a run emitted or started)
// as long as this host still holds its lease. Returns false when it does not:
// someone else has the instance now.
namespace {

struct SaveResult {
  bool held = false;
  bool cancel_requested = false;
  std::string event; // a wait that found its event in the mailbox: it is RUNNING again
};

} // namespace

static SaveResult save(storage::ConnectionPool& pool, const EngineConfig& config, WorkflowEngine::Instance& inst,
                       const StepRecord* rec, const WorkflowEngine::Run* run);

SaveResult save(storage::ConnectionPool& pool, const EngineConfig& config, WorkflowEngine::Instance& inst,
                const StepRecord* rec, const WorkflowEngine::Run* run) {
  SaveResult result;
  auto conn = pool.acquire();
  const bool waiting = inst.status == "WAITING";
  const bool effects = run && (!run->emits.empty() || !run->children.empty());
  const bool transaction = waiting || effects;
  try {
    if (transaction) conn->exec("begin");
    if (waiting) {
      std::vector<std::string> types = inst.wait_events;
      std::sort(types.begin(), types.end());
      const std::string types_array = pg_array(types), path = pg_array(inst.wait_path);
      const char* p[] = {types_array.c_str(), inst.claimed_at.c_str(), path.c_str(), inst.wait_key.c_str()};
      conn->query("select pg_advisory_xact_lock(hashtext('crm.wait:' || t)) from unnest($1::text[]) t order by t", p, 1);
      auto found = conn->query("select envelope::text from platform.workflow_mailbox where type = any($1::text[]) "
                               "and received_at >= $2::timestamptz and envelope #>> $3::text[] = $4 "
                               "and (envelope ->> 'time')::timestamptz >= date_trunc('milliseconds', $2::timestamptz) "
                               "order by received_at limit 1",
                               p, 4);
      if (found.rows() == 1) {
        // The event came before the wait began: the wait is over already.
        inst.status = "RUNNING";
        inst.event = found.value(0, 0);
        result.event = inst.event;
        inst.wake_in_ms = 0;
      }
    }
    if (effects) {
      for (const auto& e : run->emits) {
        const char* p[] = {e.id.c_str(), e.type.c_str(), e.subject.empty() ? nullptr : e.subject.c_str(),
                           e.data.c_str(), inst.id.c_str()};
        conn->query("insert into platform.crm_outbox (id, type, source, subject, actor, traceparent, data) "
                    "values ($1::uuid, $2, 'workflow', $3, 'system', $5, $4::jsonb) on conflict (id) do nothing",
                    p, 5);
      }
      if (!run->emits.empty()) conn->exec("notify crm_outbox");
      if (!run->children.empty()) conn->exec("notify crm_workflow");
    }
    const std::string step = std::to_string(inst.step), run_no = std::to_string(inst.run),
                      attempt = std::to_string(inst.attempt), seq = std::to_string(inst.seq),
                      lease = std::to_string(config.lease_seconds);
    const std::string wake = inst.wake_in_ms < 0 ? std::string() : std::to_string(inst.wake_in_ms);
    const std::string wait_events = inst.status == "WAITING" ? pg_array(inst.wait_events) : std::string();
    const std::string wait_path = inst.status == "WAITING" ? pg_array(inst.wait_path) : std::string();
    const bool release = inst.release || inst.status != "RUNNING" || inst.wake_in_ms != 0;
    const std::string rec_attempt = rec ? std::to_string(rec->attempt) : std::string();
    const std::string rec_ms = rec ? std::to_string(rec->ms) : std::string();
    const char* p[] = {inst.id.c_str(),
                       inst.status.c_str(),
                       inst.state.empty() ? nullptr : inst.state.c_str(),
                       step.c_str(),
                       inst.phase.c_str(),
                       run_no.c_str(),
                       attempt.c_str(),
                       seq.c_str(),
                       inst.vars.c_str(),
                       inst.error.empty() ? nullptr : inst.error.c_str(),
                       inst.event.empty() ? nullptr : inst.event.c_str(),
                       wait_events.empty() ? nullptr : wait_events.c_str(),
                       inst.status == "WAITING" ? inst.wait_key.c_str() : nullptr,
                       wait_path.empty() ? nullptr : wait_path.c_str(),
                       inst.claimed_at.c_str(),
                       wake.empty() ? nullptr : wake.c_str(),
                       release ? "t" : "f",
                       lease.c_str(),
                       config.host_id.c_str(),
                       rec ? rec->name.c_str() : nullptr,
                       rec ? rec->phase.c_str() : nullptr,
                       rec ? rec_attempt.c_str() : nullptr,
                       rec ? rec->status.c_str() : nullptr,
                       rec ? rec->started_at.c_str() : nullptr,
                       rec ? rec_ms.c_str() : nullptr,
                       rec && !rec->result.empty() ? rec->result.c_str() : nullptr,
                       rec && !rec->error.empty() ? rec->error.c_str() : nullptr};
    auto r = conn->query(
        "with step as (insert into platform.workflow_steps (instance_id, name, phase, run, attempt, status, "
        "started_at, duration_ms, result, error) select $1::uuid, $20, $21, $6::int, $22::int, $23, $24::timestamptz, "
        "$25::float8, $26::jsonb, $27 where $20::text is not null and exists (select 1 from "
        "platform.workflow_instances where id = $1::uuid and lease_owner = $19)) "
        "update platform.workflow_instances set status = $2, state = $3, step = $4::int, phase = $5, run = $6::int, "
        "attempt = $7::int, seq = $8::int, vars = $9::jsonb, error = $10::jsonb, event = $11::jsonb, "
        "wait_events = $12::text[], wait_key = $13, wait_path = $14::text[], "
        "wait_since = case when $2 = 'WAITING' then $15::timestamptz else null end, "
        "wake_at = case when $16::bigint is null then null else now() + make_interval(secs => $16::bigint / 1000.0) end, "
        "finished_at = case when $2 in ('COMPLETED', 'COMPENSATED', 'CANCELLED', 'FAILED') then now() else null end, "
        "lease_owner = case when $17::bool then null else lease_owner end, "
        "lease_until = case when $17::bool then null else now() + make_interval(secs => $18::int) end, "
        "updated_at = now() where id = $1::uuid and lease_owner = $19 returning cancel_requested, now()::text",
        p, 27);
    result.held = r.rows() == 1;
    result.cancel_requested = result.held && std::string_view(r.value(0, 0)) == "t";
    // Events from here on are newer than this transition: a later wait looks no further back.
    if (result.held) inst.claimed_at = r.value(0, 1);
    if (result.held && effects) {
      for (const auto& child : run->children) {
        const char* cp[] = {child.id.c_str(), child.name.c_str(), child.input.c_str(), inst.id.c_str()};
        conn->query("insert into platform.workflow_instances (id, name, version, kind, status, state, input, "
                    "parent_id, wake_at) select $1::uuid, l.name, l.version, l.kind, 'RUNNING', l.start, $3::jsonb, "
                    "$4::uuid, now() from platform.workflow_live l where l.name = $2 on conflict (id) do nothing",
                    cp, 4);
      }
    }
    if (transaction) conn->exec(result.held ? "commit" : "rollback");
  } catch (const storage::PgError&) {
    if (transaction) {
      try {
        conn->exec("rollback");
      } catch (...) {
        conn->mark_broken();
      }
    }
    throw;
  }
  return result;
}

namespace {

double ms_since(Clock::time_point started) {
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

// ctx.results[name] = reply (JSON text) in the saga's vars {"results": {...}}.
std::string with_result(lua_State* L, const std::string& vars, const std::string& step, const std::string& reply) {
  push_json(L, vars.empty() ? "{}" : vars);
  lua_getfield(L, -1, "results");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "results");
  }
  if (reply.empty()) lua_newtable(L);
  else push_json(L, reply);
  lua_setfield(L, -2, step.c_str());
  lua_pop(L, 1);
  std::string out = to_json(L, -1);
  lua_pop(L, 1);
  return out;
}

} // namespace

bool WorkflowEngine::advance_saga(Worker&, Compiled& c, Instance& inst) {
  lua_State* L = c.box.state();
  const auto& steps = c.def.steps;
  while (!stop_) {
    if (inst.cancel_requested && inst.phase == "forward") {
      inst.phase = "compensating";
      inst.step -= 1;
      inst.attempt = 0;
    }
    if (inst.phase == "forward" && inst.step >= static_cast<int>(steps.size())) {
      inst.status = "COMPLETED";
      inst.error.clear();
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    if (inst.phase == "compensating" && inst.step < 0) {
      inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    const bool forward = inst.phase == "forward";
    const SagaStep& step = steps[static_cast<size_t>(inst.step)];
    if (!forward && step.compensate.empty()) {
      inst.step -= 1;
      continue;
    }
    // The step's input, from the saga's data.
    Run run;
    run.engine = this;
    run.instance = &inst;
    run.key_base = "wf:" + inst.id + ":" + std::to_string(inst.run) + (forward ? ":f:" : ":c:") +
                   std::to_string(inst.step);
    StepRecord rec;
    rec.name = step.name;
    rec.phase = forward ? "forward" : "compensate";
    rec.attempt = inst.attempt + 1;
    rec.started_at = now_rfc3339();
    const auto started = Clock::now();
    std::string input, failure;
    {
      const int top = lua_gettop(L);
      c.run = &run;
      try {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
        lua_getfield(L, -1, "steps");
        lua_geti(L, -1, inst.step + 1);
        lua_getfield(L, -1, forward ? "input" : "compensate_input");
        if (lua_isfunction(L, -1)) {
          push_context(L, inst, inst.input, "results", "");
          // ctx.results from the saga's vars
          push_json(L, inst.vars.empty() ? "{}" : inst.vars);
          lua_getfield(L, -1, "results");
          lua_setfield(L, -3, "results");
          lua_pop(L, 1);
          auto o = c.box.call(1);
          if (!o.ok) {
            failure = o.error;
            if (o.error.find("memory cap") != std::string::npos) c.broken = true;
          } else {
            if (o.results > 1) lua_pop(L, o.results - 1);
            input = o.results == 0 || lua_isnil(L, -1) ? "{}" : to_json(L, -1);
          }
        } else if (lua_istable(L, -1)) {
          input = to_json(L, -1);
        } else if (forward) {
          input = inst.input;
        } else {
          // Undo with what the step answered.
          push_json(L, inst.vars.empty() ? "{}" : inst.vars);
          lua_getfield(L, -1, "results");
          if (lua_istable(L, -1)) lua_getfield(L, -1, step.name.c_str());
          else lua_pushnil(L);
          input = lua_istable(L, -1) ? to_json(L, -1) : "{}";
        }
      } catch (const std::exception& e) {
        failure = e.what();
      }
      c.run = nullptr;
      lua_settop(L, top);
    }
    plugins::Outcome outcome;
    if (failure.empty()) {
      const std::string& op_name = forward ? step.call : step.compensate;
      outcome = EngineAccess::call(run, op_name, input);
      run.calls = 0;
      if (outcome.status != CRM_OK) {
        failure = op_name + ": " + outcome.message;
        for (const auto& e : outcome.errors) failure += "; " + e.field + ": " + e.message;
      }
    }
    rec.ms = ms_since(started);
    record_latency(inst.name, rec.ms / 1000.0);
    if (failure.empty()) {
      rec.status = "COMPLETED";
      rec.result = outcome.body;
      if (forward) {
        inst.vars = with_result(L, inst.vars, step.name, outcome.body);
        inst.step += 1;
      } else {
        inst.step -= 1;
      }
      inst.attempt = 0;
      inst.seq += 1;
      inst.wake_in_ms = 0;
      // The last step done: the end is saved with it.
      if (forward && inst.step >= static_cast<int>(steps.size()) && !inst.cancel_requested) {
        inst.status = "COMPLETED";
        inst.error.clear();
        inst.wake_in_ms = -1;
      } else if (!forward && inst.step < 0) {
        inst.status = inst.cancel_requested ? "CANCELLED" : "COMPENSATED";
        inst.wake_in_ms = -1;
      }
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held || inst.status != "RUNNING") return saved.held;
      inst.cancel_requested = inst.cancel_requested || saved.cancel_requested;
      continue;
    }
    rec.status = "FAILED";
    rec.error = failure;
    inst.attempt += 1;
    inst.error = error_json("step", step.name, failure);
    log::info("workflows", "step failed: " + failure,
              {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name},
               {"attempt", std::to_string(inst.attempt)}});
    if (inst.attempt < step.attempts) {
      // Again after the policy's delay; the lease goes back meanwhile.
      const long long delay_s = parse_duration(step.delay);
      inst.wake_in_ms = step.delay.size() > 2 && step.delay.compare(step.delay.size() - 2, 2, "ms") == 0
                            ? std::stoll(step.delay.substr(0, step.delay.size() - 2))
                            : std::max(0LL, delay_s) * 1000;
      if (inst.wake_in_ms == 0) inst.wake_in_ms = 1; // released, then taken up again at once
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (saved.held) wake_workers();
      return saved.held;
    }
    inst.attempt = 0;
    if (forward) {
      // Finally failed: undo what was done, last first.
      inst.phase = "compensating";
      inst.step -= 1;
      inst.wake_in_ms = 0;
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held) return false;
      continue;
    }
    // A compensation failed: a person must look (retry resumes here).
    inst.status = "FAILED";
    inst.wake_in_ms = -1;
    save(pool_, config_, inst, &rec, nullptr);
    log::error("workflows", "compensation failed; the instance is FAILED: " + failure,
               {{"workflow", inst.name}, {"instance", inst.id}, {"step", step.name}});
    return true;
  }
  inst.release = true;
  inst.wake_in_ms = 0;
  save(pool_, config_, inst, nullptr, nullptr);
  return true;
}

bool WorkflowEngine::advance_state_machine(Worker&, Compiled& c, Instance& inst) {
  lua_State* L = c.box.state();
  // Parks the instance in wait state inst.state (its key computed from the
  // vars), saving `rec` and `run` with it. Returns 1 when parked, 0 when its
  // event was in the mailbox already (the instance goes on), -1 when the
  // lease was lost.
  auto enter_wait = [&](const StepRecord* rec, const Run* run) -> int {
    const WaitSpec& spec = c.def.waits.at(inst.state);
    std::string key, failure;
    if (!spec.key_var.empty()) {
      try {
        Poco::JSON::Parser parser;
        auto vars = parser.parse(inst.vars).extract<Poco::JSON::Object::Ptr>();
        if (vars->has(spec.key_var) && !vars->get(spec.key_var).isEmpty())
          key = vars->get(spec.key_var).convert<std::string>();
      } catch (const std::exception&) {
      }
      if (key.empty()) failure = "the wait's key variable '" + spec.key_var + "' is not set";
    } else {
      const int top = lua_gettop(L);
      lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
      lua_getfield(L, -1, "states");
      lua_getfield(L, -1, inst.state.c_str());
      lua_getfield(L, -1, "key");
      push_context(L, inst, inst.input, "vars", inst.vars);
      auto o = c.box.call(1);
      if (!o.ok) failure = o.error;
      else if (o.results < 1 || lua_isnil(L, -1)) failure = "the wait's key function returned nothing";
      else key = luaL_tolstring(L, -1, nullptr);
      lua_settop(L, top);
    }
    inst.event.clear();
    if (!failure.empty()) {
      inst.status = "FAILED";
      inst.error = error_json("state", inst.state, failure);
      inst.wake_in_ms = -1;
      return save(pool_, config_, inst, rec, run).held ? 1 : -1;
    }
    inst.status = "WAITING";
    inst.wait_events = spec.events;
    inst.wait_path = spec.match_path;
    inst.wait_key = key;
    inst.wake_in_ms = spec.timeout_seconds < 0 ? -1 : spec.timeout_seconds * 1000;
    auto saved = save(pool_, config_, inst, rec, run);
    if (!saved.held) return -1;
    if (saved.event.empty()) return 1;
    inst.waited_before = spec.events; // ended by the event found
    inst.cancel_requested = saved.cancel_requested;
    return 0;
  };

  while (!stop_) {
    if (inst.cancel_requested) {
      inst.status = "CANCELLED";
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, nullptr, nullptr);
      return true;
    }
    auto wait = c.def.waits.find(inst.state);
    if (wait != c.def.waits.end()) {
      if (inst.waited_before.empty() && inst.event.empty()) {
        // Not parked yet (a wait as the start state).
        const int r = enter_wait(nullptr, nullptr);
        if (r != 0) return r > 0;
        continue;
      }
      // The wait is over: by its event, or by its timer.
      StepRecord rec;
      rec.name = inst.state;
      rec.phase = "state";
      rec.started_at = now_rfc3339();
      rec.status = "COMPLETED";
      std::string next;
      if (!inst.event.empty()) {
        std::string type;
        try {
          Poco::JSON::Parser parser;
          type = parser.parse(inst.event).extract<Poco::JSON::Object::Ptr>()->optValue<std::string>("type", "");
        } catch (const std::exception&) {
        }
        auto to = wait->second.on_event.find(type);
        if (to != wait->second.on_event.end()) next = to->second;
        rec.result = "{\"event\":" + inst.event + "}";
      } else {
        next = wait->second.on_timeout;
        rec.result = "{\"timedOut\":true}";
      }
      inst.waited_before.clear();
      inst.seq += 1;
      if (next.empty()) {
        inst.status = "FAILED";
        inst.error = error_json("state", inst.state, "the wait ended with no next state");
        inst.wake_in_ms = -1;
        save(pool_, config_, inst, &rec, nullptr);
        return true;
      }
      inst.state = next;
      if (c.def.waits.count(next)) {
        const int r = enter_wait(&rec, nullptr);
        if (r != 0) return r > 0;
        continue;
      }
      inst.wake_in_ms = 0;
      auto saved = save(pool_, config_, inst, &rec, nullptr);
      if (!saved.held) return false;
      inst.cancel_requested = saved.cancel_requested;
      continue; // ctx.event stays for the next state
    }

    // An action state: run its function.
    Run run;
    run.engine = this;
    run.instance = &inst;
    run.key_base = "wf:" + inst.id + ":s:" + std::to_string(inst.seq);
    StepRecord rec;
    rec.name = inst.state;
    rec.phase = "state";
    rec.attempt = inst.attempt + 1;
    rec.started_at = now_rfc3339();
    const auto started = Clock::now();
    std::string next, vars, failure;
    bool done = false;
    {
      const int top = lua_gettop(L);
      c.run = &run;
      try {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c.def_ref);
        lua_getfield(L, -1, "states");
        const int states = lua_gettop(L);
        push_context(L, inst, inst.input, "vars", inst.vars);
        const int ctx = lua_gettop(L);
        lua_getfield(L, states, inst.state.c_str());
        lua_pushvalue(L, ctx);
        auto o = c.box.call(1);
        if (!o.ok) {
          failure = o.error;
          if (o.error.find("memory cap") != std::string::npos) c.broken = true;
        } else {
          if (o.results == 0 || lua_isnil(L, ctx + 1)) done = true;
          else if (lua_type(L, ctx + 1) == LUA_TSTRING) next = lua_tostring(L, ctx + 1);
          else failure = "a state must return the name of the next state, or nil to finish";
          lua_getfield(L, ctx, "vars");
          vars = lua_istable(L, -1) ? to_json(L, -1) : "{}";
        }
      } catch (const std::exception& e) {
        failure = e.what();
      }
      c.run = nullptr;
      lua_settop(L, top);
    }
    if (failure.empty() && !done && !std::binary_search(c.def.states.begin(), c.def.states.end(), next))
      failure = "state '" + inst.state + "' went to unknown state '" + next + "'";
    rec.ms = ms_since(started);
    record_latency(inst.name, rec.ms / 1000.0);
    if (!failure.empty()) {
      rec.status = "FAILED";
      rec.error = failure;
      inst.attempt += 1;
      inst.status = "FAILED";
      inst.error = error_json("state", inst.state, failure);
      inst.wake_in_ms = -1;
      save(pool_, config_, inst, &rec, nullptr);
      log::warn("workflows", "state failed; the instance is FAILED: " + failure,
                {{"workflow", inst.name}, {"instance", inst.id}, {"state", inst.state}});
      return true;
    }
    rec.status = "COMPLETED";
    if (!next.empty()) {
      rec.result = "{\"next\":";
      http::append_json_string(rec.result, next);
      rec.result += '}';
    }
    inst.vars = vars;
    inst.event.clear();
    inst.error.clear();
    inst.attempt = 0;
    inst.seq += 1;
    if (!run.children.empty()) wake_workers();
    if (done) {
      inst.status = "COMPLETED";
      inst.wake_in_ms = -1;
      return save(pool_, config_, inst, &rec, &run).held;
    }
    inst.state = next;
    if (c.def.waits.count(next)) {
      const int r = enter_wait(&rec, &run);
      if (r != 0) return r > 0;
      continue;
    }
    inst.wake_in_ms = 0;
    auto saved = save(pool_, config_, inst, &rec, &run);
    if (!saved.held) return false;
    inst.cancel_requested = saved.cancel_requested;
  }
  inst.release = true;
  inst.wake_in_ms = 0;
  save(pool_, config_, inst, nullptr, nullptr);
  return true;
}

void WorkflowEngine::record_latency(const std::string& workflow, double seconds) {
  Latency* l;
  {
    std::lock_guard lock(latency_mutex_);
    auto& slot = latency_[workflow];
    if (!slot) slot = std::make_unique<Latency>();
    l = slot.get();
  }
  size_t i = 0;
  while (i < metrics::Registry::kBuckets.size() && seconds > metrics::Registry::kBuckets[i]) ++i;
  l->buckets[i].fetch_add(1, std::memory_order_relaxed);
  l->count.fetch_add(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------- reading and steering

namespace {

bool valid_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

const char* kStatuses[] = {"RUNNING", "WAITING", "COMPLETED", "FAILED", "COMPENSATED", "CANCELLED"};

// One instance as JSON, built by PostgreSQL (columns: see kSummary).
const char* kSummary =
    "json_build_object('id', i.id, 'name', i.name, 'version', i.version, 'kind', i.kind, 'status', i.status, "
    "'state', i.state, 'step', case when i.kind = 'saga' then i.step end, 'phase', case when i.kind = 'saga' then "
    "i.phase end, 'run', i.run, 'attempt', i.attempt, 'parentId', i.parent_id, 'triggerEventId', i.trigger_event_id, "
    "'error', i.error, 'wait', case when i.status = 'WAITING' then json_build_object('events', i.wait_events, 'key', "
    "i.wait_key, 'until', to_char(i.wake_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) end, "
    "'createdAt', to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "'updatedAt', to_char(i.updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "'finishedAt', to_char(i.finished_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))";

} // namespace

EngineReply WorkflowEngine::list(const std::string& name, const std::string& status, const std::string& limit_text,
                                 const std::string& cursor) {
  EngineReply reply;
  if (!status.empty() && std::find_if(std::begin(kStatuses), std::end(kStatuses),
                                      [&](const char* s) { return status == s; }) == std::end(kStatuses)) {
    reply.status = 422;
    reply.message = "status must be one of RUNNING, WAITING, COMPLETED, FAILED, COMPENSATED, CANCELLED";
    reply.errors.emplace_back("status", "unknown status");
    return reply;
  }
  int limit = 50;
  if (!limit_text.empty()) {
    try {
      size_t used = 0;
      limit = std::stoi(limit_text, &used);
      if (used != limit_text.size() || limit < 1 || limit > 500) throw std::invalid_argument("range");
    } catch (const std::exception&) {
      reply.status = 422;
      reply.message = "limit must be a number from 1 to 500";
      reply.errors.emplace_back("limit", "must be from 1 to 500");
      return reply;
    }
  }
  // The cursor: "<created_at microseconds>_<id>" of the last item served.
  std::string after_time, after_id;
  if (!cursor.empty()) {
    const size_t sep = cursor.find('_');
    if (sep == std::string::npos || !valid_uuid(cursor.substr(sep + 1)) ||
        cursor.find_first_not_of("0123456789") != sep) {
      reply.status = 422;
      reply.message = "the cursor is not one this endpoint gave";
      reply.errors.emplace_back("cursor", "unknown cursor");
      return reply;
    }
    after_time = cursor.substr(0, sep);
    after_id = cursor.substr(sep + 1);
  }
  const std::string fetch = std::to_string(limit + 1);
  const char* p[] = {name.empty() ? nullptr : name.c_str(), status.empty() ? nullptr : status.c_str(),
                     after_time.empty() ? nullptr : after_time.c_str(), after_id.empty() ? nullptr : after_id.c_str(),
                     fetch.c_str()};
  auto conn = pool_.acquire();
  auto rows = conn->query(
      std::string("select ") + kSummary +
          "::text, (extract(epoch from i.created_at) * 1000000)::bigint::text || '_' || i.id::text "
          "from platform.workflow_instances i where ($1::text is null or i.name = $1) and ($2::text is null or "
          "i.status = $2) and ($3::text is null or (i.created_at, i.id) < (to_timestamp($3::bigint / 1000000.0), "
          "$4::uuid)) order by i.created_at desc, i.id desc limit $5::int",
      p, 5);
  reply.body = "{\"items\":[";
  const int n = std::min(rows.rows(), limit);
  for (int i = 0; i < n; ++i) {
    if (i) reply.body += ',';
    reply.body.append(rows.value(i, 0), static_cast<size_t>(rows.length(i, 0)));
  }
  reply.body += "],\"nextCursor\":";
  if (rows.rows() > limit) http::append_json_string(reply.body, rows.value(limit - 1, 1));
  else reply.body += "null";
  reply.body += '}';
  return reply;
}

EngineReply WorkflowEngine::detail(const std::string& id) {
  EngineReply reply;
  if (!valid_uuid(id)) {
    reply.status = 404;
    reply.message = "no workflow instance " + id;
    return reply;
  }
  const char* p[] = {id.c_str()};
  auto conn = pool_.acquire();
  auto rows = conn->query(
      std::string("select (") + kSummary +
          "::jsonb || jsonb_build_object('input', i.input, 'vars', i.vars, 'steps', coalesce((select "
          "jsonb_agg(jsonb_build_object('name', s.name, 'phase', s.phase, 'run', s.run, 'attempt', s.attempt, "
          "'status', s.status, 'startedAt', to_char(s.started_at at time zone 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'durationMs', round(s.duration_ms::numeric, 3), 'result', s.result, "
          "'error', s.error) order by s.id) from platform.workflow_steps s where s.instance_id = i.id), '[]'::jsonb), "
          "'children', coalesce((select jsonb_agg(c.id order by c.created_at) from platform.workflow_instances c "
          "where c.parent_id = i.id), '[]'::jsonb)))::text from platform.workflow_instances i where i.id = $1::uuid",
      p, 1);
  if (rows.rows() != 1) {
    reply.status = 404;
    reply.message = "no workflow instance " + id;
    return reply;
  }
  reply.body.assign(rows.value(0, 0), static_cast<size_t>(rows.length(0, 0)));
  return reply;
}

EngineReply WorkflowEngine::retry(const std::string& id) {
  EngineReply reply;
  if (!valid_uuid(id)) {
    reply.status = 404;
    reply.message = "no workflow instance " + id;
    return reply;
  }
  const char* p[] = {id.c_str()};
  auto conn = pool_.acquire();
  // FAILED: go on where it stopped (a saga's compensation, a state machine's
  // state). COMPENSATED: the saga runs again from its first step (a new run,
  // so its steps' keys are new).
  auto r = conn->query(
      "update platform.workflow_instances set "
      "run = case when status = 'COMPENSATED' then run + 1 else run end, "
      "step = case when status = 'COMPENSATED' then 0 else step end, "
      "phase = case when status = 'COMPENSATED' then 'forward' else phase end, "
      "vars = case when status = 'COMPENSATED' then '{}'::jsonb else vars end, "
      "status = 'RUNNING', attempt = 0, wake_at = now(), finished_at = null, cancel_requested = false, "
      "updated_at = now() where id = $1::uuid and (status = 'FAILED' or (status = 'COMPENSATED' and kind = 'saga')) "
      "returning status",
      p, 1);
  if (r.rows() == 0) {
    auto exists = conn->query("select status from platform.workflow_instances where id = $1::uuid", p, 1);
    if (exists.rows() == 0) {
      reply.status = 404;
      reply.message = "no workflow instance " + id;
    } else {
      reply.status = 409;
      reply.message = std::string("the instance is ") + exists.value(0, 0) +
                      "; only a FAILED instance (or a COMPENSATED saga) can be retried";
    }
    return reply;
  }
  conn->exec("notify crm_workflow");
  wake_workers();
  return detail(id);
}

EngineReply WorkflowEngine::cancel(const std::string& id) {
  EngineReply reply;
  if (!valid_uuid(id)) {
    reply.status = 404;
    reply.message = "no workflow instance " + id;
    return reply;
  }
  const char* p[] = {id.c_str()};
  auto conn = pool_.acquire();
  // The engine does the rest (a saga compensates what it completed) when it
  // next holds the instance: now, unless a worker has it in hand.
  auto r = conn->query("update platform.workflow_instances set cancel_requested = true, status = 'RUNNING', "
                       "wake_at = now(), attempt = 0, updated_at = now() "
                       "where id = $1::uuid and status in ('RUNNING', 'WAITING', 'FAILED') returning status",
                       p, 1);
  if (r.rows() == 0) {
    auto exists = conn->query("select status from platform.workflow_instances where id = $1::uuid", p, 1);
    if (exists.rows() == 0) {
      reply.status = 404;
      reply.message = "no workflow instance " + id;
    } else {
      reply.status = 409;
      reply.message = std::string("the instance is ") + exists.value(0, 0) + " already";
    }
    return reply;
  }
  conn->exec("notify crm_workflow");
  wake_workers();
  reply.status = 202;
  reply.body = "{\"id\":\"" + id + "\",\"cancelRequested\":true}";
  return reply;
}

std::vector<std::pair<metrics::Labels, double>> WorkflowEngine::instance_counts() {
  std::vector<std::pair<metrics::Labels, double>> out;
  auto conn = pool_.acquire();
  auto rows = conn->query("select name, status, count(*) from platform.workflow_instances group by 1, 2", nullptr, 0);
  for (int i = 0; i < rows.rows(); ++i)
    out.push_back({{{"workflow", rows.value(i, 0)}, {"status", rows.value(i, 1)}}, std::atof(rows.value(i, 2))});
  return out;
}

std::vector<std::pair<metrics::Labels, double>> WorkflowEngine::step_latency() {
  std::vector<std::pair<metrics::Labels, double>> out;
  std::lock_guard lock(latency_mutex_);
  for (const auto& [workflow, l] : latency_) {
    const double total = static_cast<double>(l->count.load());
    if (total == 0) continue;
    for (double q : {0.5, 0.9, 0.99}) {
      double seen = 0;
      double bound = std::numeric_limits<double>::infinity();
      for (size_t i = 0; i < l->buckets.size(); ++i) {
        seen += static_cast<double>(l->buckets[i].load());
        if (seen >= q * total) {
          bound = i < metrics::Registry::kBuckets.size() ? metrics::Registry::kBuckets[i]
                                                         : std::numeric_limits<double>::infinity();
          break;
        }
      }
      char label[32];
      std::snprintf(label, sizeof label, "%g", q);
      out.push_back({{{"workflow", workflow}, {"quantile", label}}, bound});
    }
  }
  return out;
}

std::vector<std::pair<metrics::Labels, double>> WorkflowEngine::steps_run() {
  std::vector<std::pair<metrics::Labels, double>> out;
  std::lock_guard lock(latency_mutex_);
  for (const auto& [workflow, l] : latency_)
    out.push_back({{{"workflow", workflow}}, static_cast<double>(l->count.load())});
  return out;
}

} // namespace crm::workflows
