// InstanceStore: how the engine reads and writes platform.workflow_instances
// (see EngineParts.hpp).
#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"
#include "storage/PgError.hpp"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>

namespace crm::workflows::engine {

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
  core::append_json_string(out, where_key);
  out += ':';
  core::append_json_string(out, where);
  out += ",\"message\":";
  core::append_json_string(out, message);
  return out + "}";
}


const char* const kInstanceColumns =
    "i.id::text, i.name, i.version, i.kind, i.status, coalesce(i.state, ''), i.step, i.phase, i.run, i.attempt, "
    "i.seq, i.input::text, i.vars::text, coalesce(i.event::text, ''), i.cancel_requested, coalesce(i.error::text, ''), "
    "now()::text, coalesce(i.wait_events::text, ''), i.batch, coalesce(i.parent_id::text, ''), "
    "coalesce(i.started_by, '')";

double ms_since(Clock::time_point started) {
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

namespace {

// A transition into a wait looks in the mailbox first: an event that came
// before the wait began ends it at once (the instance is RUNNING again).
void find_waited_event(storage::PgConnection& db, WorkflowEngine::Instance& inst, SaveResult& result) {
  std::vector<std::string> types = inst.wait_events;
  std::sort(types.begin(), types.end());
  const std::string types_array = pg_array(types), path = pg_array(inst.wait_path);
  const char* p[] = {types_array.c_str(), inst.claimed_at.c_str(), path.c_str(), inst.wait_key.c_str()};
  db.query("select pg_advisory_xact_lock(hashtext('crm.wait:' || t)) from unnest($1::text[]) t order by t", p, 1);
  auto found = db.query("select envelope::text from platform.workflow_mailbox where type = any($1::text[]) "
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

// What a run emitted joins the outbox in the same transaction. `notify`:
// NOTIFY in it too (no PgNotifier to do it after the commit).
void write_emits(storage::PgConnection& db, const WorkflowEngine::Instance& inst, const WorkflowEngine::Run& run,
                 bool notify) {
  for (const auto& e : run.emits) {
    const char* p[] = {e.id.c_str(), e.type.c_str(), e.subject.empty() ? nullptr : e.subject.c_str(), e.data.c_str(),
                       inst.id.c_str()};
    db.query("insert into platform.crm_outbox (id, type, source, subject, actor, traceparent, data) "
             "values ($1::uuid, $2, 'workflow', $3, 'system', $5, $4::jsonb) on conflict (id) do nothing",
             p, 5);
  }
  if (!notify) return;
  if (!run.emits.empty()) db.exec("notify crm_outbox, 'platform'");
  if (!run.children.empty()) db.exec("notify crm_workflow");
}

// A child that ends tells its parent: workflow.finished {id, name, status,
// parentId, error}, subject = its id, once per run and transition.
void tell_parent(storage::PgConnection& db, const WorkflowEngine::Instance& inst, bool notify) {
  const std::string id =
      core::derived_uuid(inst.id + ":finished:" + std::to_string(inst.run) + ":" + std::to_string(inst.seq));
  std::string data = "{\"id\":\"" + inst.id + "\",\"name\":";
  core::append_json_string(data, inst.name);
  data += ",\"status\":\"" + inst.status + "\",\"parentId\":\"" + inst.parent_id + "\",\"error\":";
  data += inst.error.empty() ? "null" : inst.error;
  data += '}';
  const char* p[] = {id.c_str(), inst.id.c_str(), data.c_str()};
  db.query("insert into platform.crm_outbox (id, type, source, subject, actor, traceparent, data) "
           "values ($1::uuid, 'workflow.finished', 'workflow', $2, 'system', $2, $3::jsonb) "
           "on conflict (id) do nothing",
           p, 3);
  if (notify) db.exec("notify crm_outbox, 'platform'");
}

// The instance's row (and the step's record) while this host holds its
// lease: whether it does, and whether a cancellation was asked for.
void write_instance(storage::PgConnection& db, const EngineConfig& config, WorkflowEngine::Instance& inst,
                    const StepRecord* rec, SaveResult& result) {
  const std::string step = std::to_string(inst.step), run_no = std::to_string(inst.run),
                    attempt = std::to_string(inst.attempt), seq = std::to_string(inst.seq),
                    batch = std::to_string(inst.batch), lease = std::to_string(config.lease_seconds);
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
                     rec && !rec->error.empty() ? rec->error.c_str() : nullptr,
                     batch.c_str()};
  auto r = db.query(
      "with step as (insert into platform.workflow_steps (instance_id, name, phase, run, attempt, status, "
      "started_at, duration_ms, result, error) select $1::uuid, $20, $21, $6::int, $22::int, $23, $24::timestamptz, "
      "$25::float8, $26::jsonb, $27 where $20::text is not null and exists (select 1 from "
      "platform.workflow_instances where id = $1::uuid and lease_owner = $19)) "
      "update platform.workflow_instances set status = $2, state = $3, step = $4::int, phase = $5, run = $6::int, "
      "attempt = $7::int, seq = $8::int, batch = $28::int, vars = $9::jsonb, error = $10::jsonb, event = $11::jsonb, "
      "wait_events = $12::text[], wait_key = $13, wait_path = $14::text[], "
      "wait_since = case when $2 = 'WAITING' then $15::timestamptz else null end, "
      "wake_at = case when $16::bigint is null then null else now() + make_interval(secs => $16::bigint / 1000.0) end, "
      "finished_at = case when $2 in ('COMPLETED', 'COMPENSATED', 'CANCELLED', 'FAILED') then now() else null end, "
      "lease_owner = case when $17::bool then null else lease_owner end, "
      "lease_until = case when $17::bool then null else now() + make_interval(secs => $18::int) end, "
      "updated_at = now() where id = $1::uuid and lease_owner = $19 returning cancel_requested, now()::text",
      p, 28);
  result.held = r.rows() == 1;
  result.cancel_requested = result.held && std::string_view(r.value(0, 0)) == "t";
  // Events from here on are newer than this transition: a later wait looks no further back.
  if (result.held) inst.claimed_at = r.value(0, 1);
}

// The children a run started, acting for whoever their parent acts for.
void insert_children(storage::PgConnection& db, const WorkflowEngine::Instance& inst, const WorkflowEngine::Run& run) {
  for (const auto& child : run.children) {
    // A child acts for whoever its parent acts for.
    const char* cp[] = {child.id.c_str(), child.name.c_str(), child.input.c_str(), inst.id.c_str(),
                        inst.started_by.empty() ? nullptr : inst.started_by.c_str()};
    db.query("insert into platform.workflow_instances (id, name, version, kind, status, state, input, "
             "parent_id, started_by, wake_at) select $1::uuid, l.name, l.version, l.kind, 'RUNNING', l.start, "
             "$3::jsonb, $4::uuid, $5, now() from platform.workflow_live l where l.name = $2 "
             "on conflict (id) do nothing",
             cp, 5);
  }
}

} // namespace

SaveResult save(storage::ConnectionPool& pool, const EngineConfig& config, WorkflowEngine::Instance& inst,
                const StepRecord* rec, const WorkflowEngine::Run* run) {
  SaveResult result;
  auto conn = pool.acquire();
  const bool waiting = inst.status == "WAITING";
  const bool effects = run && (!run->emits.empty() || !run->children.empty());
  const bool ends = inst.status == "COMPLETED" || inst.status == "COMPENSATED" || inst.status == "CANCELLED" ||
                    inst.status == "FAILED";
  const bool parent_told = ends && !inst.parent_id.empty();
  const bool transaction = waiting || effects || parent_told;
  try {
    if (transaction) conn->exec("begin");
    if (waiting) find_waited_event(*conn, inst, result);
    const bool notify_here = config.notifier == nullptr;
    if (effects) write_emits(*conn, inst, *run, notify_here);
    if (parent_told) tell_parent(*conn, inst, notify_here);
    write_instance(*conn, config, inst, rec, result);
    if (result.held && effects) insert_children(*conn, inst, *run);
    if (transaction) conn->exec(result.held ? "commit" : "rollback");
    if (transaction && result.held && config.notifier) {
      // After the commit: a NOTIFY inside it would hold the database's
      // notification lock until the commit is on disk (PgNotifier).
      if ((run && !run->emits.empty()) || parent_told) config.notifier->notify(storage::PgNotifier::outbox, "platform");
      if (run && !run->children.empty()) config.notifier->notify(storage::PgNotifier::workflow);
    }
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

} // namespace crm::workflows::engine
