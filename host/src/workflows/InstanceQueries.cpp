// InstanceQueries: the engine's answers to the instance endpoints (list,
// detail, retry, cancel) and its metrics.
#include "workflows/EngineParts.hpp"

#include "core/JsonText.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace crm::workflows {

using namespace engine;

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
    "'startedBy', i.started_by, "
    "'error', i.error, 'wait', case when i.status = 'WAITING' then json_build_object('events', i.wait_events, 'key', "
    "i.wait_key, 'until', to_char(i.wake_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')) end, "
    "'createdAt', to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "'updatedAt', to_char(i.updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "'finishedAt', to_char(i.finished_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))";

EngineReply missing(const std::string& id) {
  EngineReply reply;
  reply.result = EngineResult::NotFound;
  reply.message = "no workflow instance " + id;
  return reply;
}

// Why a retry or cancel changed nothing: 404 when there is no such instance,
// else 409 "the instance is <status><why>".
EngineReply refused(storage::PgConnection& conn, const std::string& id, const char* why) {
  const char* p[] = {id.c_str()};
  auto exists = conn.query("select status from platform.workflow_instances where id = $1::uuid", p, 1);
  if (exists.rows() == 0) return missing(id);
  EngineReply reply;
  reply.result = EngineResult::Conflict;
  reply.message = std::string("the instance is ") + exists.value(0, 0) + why;
  return reply;
}

} // namespace

EngineReply WorkflowEngine::list(const std::string& name, const std::string& status, const std::string& limit_text,
                                 const std::string& cursor) {
  EngineReply reply;
  if (!status.empty() && std::find_if(std::begin(kStatuses), std::end(kStatuses),
                                      [&](const char* s) { return status == s; }) == std::end(kStatuses)) {
    reply.result = EngineResult::Invalid;
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
      reply.result = EngineResult::Invalid;
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
      reply.result = EngineResult::Invalid;
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
  if (rows.rows() > limit) core::append_json_string(reply.body, rows.value(limit - 1, 1));
  else reply.body += "null";
  reply.body += '}';
  return reply;
}

EngineReply WorkflowEngine::detail(const std::string& id) {
  EngineReply reply;
  if (!valid_uuid(id)) return missing(id);
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
  if (rows.rows() != 1) return missing(id);
  reply.body.assign(rows.value(0, 0), static_cast<size_t>(rows.length(0, 0)));
  return reply;
}

EngineReply WorkflowEngine::retry(const std::string& id) {
  if (!valid_uuid(id)) return missing(id);
  const char* p[] = {id.c_str()};
  auto conn = pool_.acquire();
  // FAILED: go on where it stopped (a saga's compensation, a state machine's
  // state). COMPENSATED: the saga runs again from its first step (a new run,
  // so its steps' keys are new).
  auto r = conn->query(
      "update platform.workflow_instances set "
      "run = case when status = 'COMPENSATED' then run + 1 else run end, "
      "step = case when status = 'COMPENSATED' then 0 else step end, "
      "batch = case when status = 'COMPENSATED' then 0 else batch end, "
      "phase = case when status = 'COMPENSATED' then 'forward' else phase end, "
      "vars = case when status = 'COMPENSATED' then '{}'::jsonb else vars end, "
      "status = 'RUNNING', attempt = 0, wake_at = now(), finished_at = null, cancel_requested = false, "
      "updated_at = now() where id = $1::uuid and (status = 'FAILED' or (status = 'COMPENSATED' and kind = 'saga')) "
      "returning status",
      p, 1);
  if (r.rows() == 0) return refused(*conn, id, "; only a FAILED instance (or a COMPENSATED saga) can be retried");
  conn->exec("notify crm_workflow");
  wake_workers();
  return detail(id);
}

EngineReply WorkflowEngine::cancel(const std::string& id) {
  EngineReply reply;
  if (!valid_uuid(id)) return missing(id);
  const char* p[] = {id.c_str()};
  auto conn = pool_.acquire();
  // The engine does the rest (a saga compensates what it completed) when it
  // next holds the instance: now, unless a worker has it in hand.
  auto r = conn->query("update platform.workflow_instances set cancel_requested = true, status = 'RUNNING', "
                       "wake_at = now(), attempt = 0, updated_at = now() "
                       "where id = $1::uuid and status in ('RUNNING', 'WAITING', 'FAILED') returning status",
                       p, 1);
  if (r.rows() == 0) return refused(*conn, id, " already");
  conn->exec("notify crm_workflow");
  wake_workers();
  reply.result = EngineResult::Accepted;
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

std::vector<std::pair<metrics::Labels, double>> WorkflowEngine::overdue_counts() {
  std::vector<std::pair<metrics::Labels, double>> out;
  auto conn = pool_.acquire();
  auto rows = conn->query("select name, count(*) from platform.workflow_instances where status = 'RUNNING' "
                          "and coalesce(wake_at, '-infinity') < now() - interval '1 minute' "
                          "and coalesce(lease_until, '-infinity') < now() - interval '1 minute' group by 1",
                          nullptr, 0);
  for (int i = 0; i < rows.rows(); ++i) out.push_back({{{"workflow", rows.value(i, 0)}}, std::atof(rows.value(i, 1))});
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
