// WorkflowEngine: see the header.
#include "workflows/WorkflowEngine.hpp"
#include "core/DerivedIds.hpp"

#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"
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

using namespace engine;

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
  // The consumers of triggers and waits exist before the host says it is
  // ready: an event emitted from then on reaches them.
  try {
    sync_consumers();
  } catch (const std::exception& e) {
    log::warn("workflows", std::string("cannot subscribe the workflows' consumers yet: ") + e.what(), {});
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

void WorkflowEngine::announce_work() {
  wake_workers();
  if (config_.notifier) {
    config_.notifier->notify(storage::PgNotifier::workflow);
    return;
  }
  try {
    pool_.acquire()->exec("notify crm_workflow");
  } catch (const storage::PgError&) {
    // The other hosts' workers poll as well.
  }
}

void WorkflowEngine::sync_consumers() {
  std::set<std::string> waited;
  for (const auto& e : catalog_.entries()) {
    if (e.live_version.empty()) continue;
    for (const auto& [state, w] : e.live.waits) waited.insert(w.events.begin(), w.events.end());
    if (!consumers_ || e.live.trigger_event.empty()) continue;
    const std::string name = e.name;
    consumers_->add_batch_consumer("workflow__" + name, subject_prefix_ + "." + e.live.trigger_event,
                                   "workflow:" + name,
                                   [this, name](const std::vector<events::EventConsumers::Event>& events) {
                                     return on_triggers(name, events);
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
                                            const std::string* trigger_event_id, const std::string* id,
                                            const std::string& started_by) {
  const std::string new_id = id ? *id : Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  const char* p[] = {new_id.c_str(), name.c_str(), input.c_str(), parent_id ? parent_id->c_str() : nullptr,
                     trigger_event_id ? trigger_event_id->c_str() : nullptr,
                     started_by.empty() ? nullptr : started_by.c_str()};
  // New instances start on the version last made live on any host. The
  // caller announces them once they are committed (announce_work).
  auto r = conn.query("insert into platform.workflow_instances "
                      "(id, name, version, kind, status, state, input, parent_id, trigger_event_id, started_by, wake_at) "
                      "select $1::uuid, l.name, l.version, l.kind, 'RUNNING', l.start, $3::jsonb, $4::uuid, $5::uuid, "
                      "$6, now() from platform.workflow_live l where l.name = $2 on conflict do nothing returning version",
                      p, 6);
  return r.rows() == 1 ? new_id + " " + r.value(0, 0) : std::string();
}

std::vector<plugins::Outcome> WorkflowEngine::on_triggers(const std::string& workflow,
                                                          const std::vector<events::EventConsumers::Event>& events) {
  std::vector<plugins::Outcome> out(events.size());
  if (!catalog_.is_live(workflow)) return out; // removed since: nothing to start
  if (events.size() == 1) {
    out[0] = on_trigger(workflow, events[0].envelope, events[0].id);
    return out;
  }
  try {
    auto conn = pool_.acquire();
    conn->exec("BEGIN");
    try {
      for (size_t i = 0; i < events.size(); ++i) {
        std::string input, started_by;
        if (!trigger_input(events[i].envelope, input, started_by, out[i])) continue;
        const std::string id = core::trigger_instance_id(workflow, events[i].id);
        if (insert_instance(*conn, workflow, input, nullptr, &events[i].id, &id, started_by).empty())
          out[i].duplicate = true;
      }
      conn->exec("COMMIT");
    } catch (const storage::PgError&) {
      conn->mark_broken(); // rolled back with the connection
      throw;
    }
  } catch (const storage::PgError& e) {
    log::info("workflows", std::string("a batch of trigger events did not start together; one by one: ") + e.what(),
              {{"workflow", workflow}});
    for (size_t i = 0; i < events.size(); ++i) out[i] = on_trigger(workflow, events[i].envelope, events[i].id);
    return out;
  }
  announce_work();
  return out;
}

bool WorkflowEngine::trigger_input(const std::string& envelope, std::string& input, std::string& started_by,
                                   plugins::Outcome& out) {
  input = "{}";
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(envelope).extract<Poco::JSON::Object::Ptr>();
    if (o->has("actor") && o->get("actor").isString()) started_by = o->getValue<std::string>("actor");
    if (!o->getObject("data")) {
      out.status = CRM_E_INVALID;
      out.message = "the event has no data object";
      return false;
    }
    // The input: the event's data, with the event itself under "event".
    Poco::JSON::Object::Ptr data = o->getObject("data");
    input = "{\"event\":" + envelope + ",\"data\":";
    std::ostringstream s;
    data->stringify(s);
    input += s.str() + "}";
  } catch (const std::exception&) {
    out.status = CRM_E_INVALID;
    out.message = "not an event envelope";
    return false;
  }
  return true;
}

plugins::Outcome WorkflowEngine::on_trigger(const std::string& workflow, const std::string& envelope,
                                            const std::string& event_id) {
  plugins::Outcome out;
  if (!catalog_.is_live(workflow)) return out; // removed since: nothing to start
  std::string input, started_by; // started_by: the event's actor, on whose behalf the instance acts
  if (!trigger_input(envelope, input, started_by, out)) return out;
  try {
    auto conn = pool_.acquire();
    // The id is the event's and the workflow's: the operation that emitted
    // the event may already have told its caller (trigger_instance_id).
    const std::string id = core::trigger_instance_id(workflow, event_id);
    const std::string started = insert_instance(*conn, workflow, input, nullptr, &event_id, &id, started_by);
    if (started.empty()) out.duplicate = true;
  } catch (const storage::PgError& e) {
    out.status = CRM_E_UNAVAILABLE;
    out.message = e.what();
    return out;
  }
  if (!out.duplicate) announce_work();
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
    conn->exec("commit");
    if (woke) announce_work();
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

EngineReply WorkflowEngine::start_manual(const std::string& name, const std::string& body,
                                         const std::string& started_by) {
  EngineReply reply;
  if (catalog_.is_retired(name)) {
    reply.result = EngineResult::Conflict;
    reply.message = retired_message(name);
    return reply;
  }
  if (!catalog_.is_live(name)) {
    reply.result = EngineResult::NotFound;
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
        reply.result = EngineResult::Invalid;
        reply.message = "the input is not valid";
        reply.errors.emplace_back("input", "must be an object");
        return reply;
      }
      std::ostringstream s;
      in->stringify(s);
      input = s.str();
    }
  } catch (const std::exception&) {
    reply.result = EngineResult::Invalid;
    reply.message = "the body must be a JSON object {\"input\": {...}}";
    reply.errors.emplace_back("body", "must be a JSON object");
    return reply;
  }
  auto conn = pool_.acquire();
  const std::string started = insert_instance(*conn, name, input, nullptr, nullptr, nullptr, started_by);
  if (started.empty()) {
    reply.result = EngineResult::Unavailable;
    reply.message = "the workflow " + name + " is not stored yet; try again";
    return reply;
  }
  announce_work();
  const size_t space = started.find(' ');
  reply.result = EngineResult::Created;
  reply.body = "{\"id\":\"" + started.substr(0, space) + "\",\"name\":";
  core::append_json_string(reply.body, name);
  reply.body += ",\"version\":";
  core::append_json_string(reply.body, started.substr(space + 1));
  reply.body += ",\"status\":\"RUNNING\"}";
  return reply;
}

// ---------------------------------------------------------------- working

namespace {

// An instance a worker gave up on because the database failed under it: its
// id, and when its lease was last renewed (the lease runs lease_seconds from there).
struct Interrupted {
  std::string id, leased_at;
};

// Gives back the leases of `interrupted` once the database answers again, so
// they are taken up again now instead of when the lease runs out (30 s by
// default: a PostgreSQL restart would stall every running saga that long).
// Only a lease nobody has renewed since is given back: after it ran out,
// another worker may have the instance. Throws PgError while the database is
// away (any other failure leaves the instance to its lease).
void give_back(storage::ConnectionPool& pool, const EngineConfig& config, std::vector<Interrupted>& interrupted) {
  if (interrupted.empty()) return;
  auto conn = pool.acquire();
  const std::string lease = std::to_string(config.lease_seconds);
  while (!interrupted.empty()) {
    const Interrupted& i = interrupted.back();
    const char* p[] = {i.id.c_str(), config.host_id.c_str(), i.leased_at.c_str(), lease.c_str()};
    try {
      conn->query("update platform.workflow_instances set lease_owner = null, lease_until = null where id = $1::uuid "
                  "and lease_owner = $2 and lease_until = $3::timestamptz + make_interval(secs => $4::int)",
                  p, 4);
    } catch (const storage::PgError& e) {
      if (e.status() == CRM_E_UNAVAILABLE) throw;
    }
    interrupted.pop_back();
  }
}

} // namespace

void WorkflowEngine::work(Worker& w) {
  std::vector<Interrupted> interrupted;
  while (!stop_) {
    std::vector<Instance> batch;
    try {
      give_back(pool_, config_, interrupted);
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
      } catch (const storage::PgError& e) {
        // The database failed under us: the instance is taken up again when
        // it answers (or, failing that, when the lease runs out).
        log::warn("workflows", std::string("instance interrupted, will resume: ") + e.what(),
                  {{"workflow", inst.name}, {"instance", inst.id}});
        if (e.status() == CRM_E_UNAVAILABLE) interrupted.push_back({inst.id, inst.claimed_at});
      } catch (const std::exception& e) {
        // Taken up again when the lease runs out.
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
    x.batch = std::atoi(rows.value(i, 18));
    x.parent_id = rows.value(i, 19);
    x.started_by = rows.value(i, 20);
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
  install_crm_api(*c);
  DefinitionCheck check = check_definition(source, name + ".lua", DefinitionContext{{}, {}, config_.lib_dir},
                                           config_.limits);
  if (!check.errors.empty())
    throw std::runtime_error(name + ".lua:" + std::to_string(check.errors.front().line) + ": " +
                             check.errors.front().message);
  c->def = std::move(check.definition);
  {
    // Its waits are heard from now on, before any of its instances can
    // wait here (the housekeeping's next sync would be up to a second late).
    std::lock_guard lock(waits_mutex_);
    for (const auto& [state, wait] : c->def.waits) waited_types_.insert(wait.events.begin(), wait.events.end());
  }
  load_definition(*c, source, "@" + name + ".lua");
  Compiled* raw = c.get();
  w.compiled[version] = std::move(c);
  return raw;
}

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

} // namespace crm::workflows
