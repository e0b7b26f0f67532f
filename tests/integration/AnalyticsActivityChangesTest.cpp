// The sales summary follows meetings and tasks after they are created: sales
// announces every edit, deletion and reassignment (meeting.updated,
// task.deleted, task.reassigned, ...) and analytics projects them, so the
// report always equals one computed from the sales tables themselves; and
// the projection of those events gives one read-model whatever order they
// come in and however often.
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::system_clock;

// Moves the caller's future meetings and open tasks to another user, a
// batch of 2 at a time, then fails: the moves are undone by reassign_back.
constexpr const char* kMoveThenFail = R"lua(
local function moving(kind)
  return function(ctx)
    return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId,
             transfer = ctx.instance .. ":" .. kind, limit = 2 }
  end
end
local function moving_back(kind)
  return function(ctx) return { transfer = ctx.instance .. ":" .. kind, limit = 2 } end
end
return saga "move_then_fail" {
  trigger = manual,
  steps = {
    step "meetings" {
      call = "sales.reassign_meetings", compensate = "sales.reassign_back", batched = true,
      input = moving("meetings"), compensate_input = moving_back("meetings"),
    },
    step "tasks" {
      call = "sales.reassign_tasks", compensate = "sales.reassign_back", batched = true,
      input = moving("tasks"), compensate_input = moving_back("tasks"),
    },
    step "boom" {
      call = "customer.get",
      input = { id = "00000000-0000-4000-8000-000000000000" },
      retry = { attempts = 1, delay = "1s" },
    },
  },
}
)lua";

// Hands each delivery's event to its projection, in the order given, as the
// host's consumers would (as the system); with `reset`, empties the
// read-models first, as a rebuild does.
constexpr const char* kApplyEvents = R"lua(
return workflow "apply_activity_events" {
  trigger = manual,
  start = "apply",
  states = {
    apply = function(ctx)
      if ctx.input.reset then crm.call("analytics.reset_read_models", { by = "test" }) end
      for _, delivery in ipairs(ctx.input.deliveries) do
        crm.call(delivery.operation, delivery.event)
      end
    end,
  },
}
)lua";

std::string start_instance(AuthHost& auth, const std::string& workflow, const std::string& input) {
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/" + workflow, auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      20s));
  auto r = auth.call("POST", "/api/workflows/" + workflow + "/instances", "{\"input\":" + input + "}",
                     auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text_of(r.json(), "id");
}

void wait_for_instance(AuthHost& auth, const std::string& id, const std::string& status) {
  std::string last, now;
  const bool ended = eventually(
      [&] {
        auto r = auth.get("/api/workflow-instances/" + id, auth.admin().access_token);
        last = r.body;
        if (r.status != 200) return false;
        now = text_of(r.json(), "status");
        return now != "RUNNING" && now != "WAITING";
      },
      60s, 100ms);
  INFO("instance " << id << ": " << last << "\n" << auth.host().process().log_tail(30));
  REQUIRE(ended);
  REQUIRE(now == status);
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) out += (out.size() > 1 ? "," : "") + id;
  return out + "}";
}

// Per user "meetings/tasksCompleted/tasksOverdue" of the period, as the
// report gives them (ADMIN) and as the sales tables say they are.
constexpr int kDaysBack = 7, kDaysAhead = 30;

std::string period_query() {
  return "?from=" + utc_date(Clock::now() - 24h * kDaysBack) + "&to=" + utc_date(Clock::now() + 24h * kDaysAhead);
}

std::string reported(AuthHost& auth, const std::vector<std::string>& users) {
  auto reply =
      ok_json(auth.host().http(), auth.admin(), "GET", "/api/reports/sales-summary" + period_query() + "&groupBy=user");
  std::string out;
  for (const auto& user : users) {
    long long meetings = 0, completed = 0, overdue = 0;
    for (const auto& item : items_of(reply))
      if (text_of(item, "user") == user) {
        meetings = number_of(item, "meetings");
        completed = number_of(item, "tasksCompleted");
        overdue = number_of(item, "tasksOverdue");
      }
    out += user + ": " + std::to_string(meetings) + "/" + std::to_string(completed) + "/" + std::to_string(overdue) +
           "\n";
  }
  return out;
}

std::string from_tables(Sql& sql, const std::vector<std::string>& users) {
  const std::string from = utc_date(Clock::now() - 24h * kDaysBack), to = utc_date(Clock::now() + 24h * kDaysAhead);
  std::string out;
  for (const auto& row : sql.query(R"sql(
      select u.id::text,
        (select count(*) from sales.meetings m
         where m.owner_id = u.id and m.deleted_at is null
           and (m.scheduled_at at time zone 'UTC')::date between $2::date and $3::date),
        (select count(*) from sales.tasks t
         where t.assignee_id = u.id and t.deleted_at is null and t.status = 'DONE'
           and (t.completed_at at time zone 'UTC')::date between $2::date and $3::date),
        (select count(*) from sales.tasks t
         where t.assignee_id = u.id and t.deleted_at is null and t.status = 'OPEN' and t.due_at < now()
           and (t.due_at at time zone 'UTC')::date between $2::date and $3::date)
      from unnest($1::uuid[]) with ordinality as u (id, n) order by u.n)sql",
                                   {uuid_array(users), from, to}))
    out += *row[0] + ": " + *row[1] + "/" + *row[2] + "/" + *row[3] + "\n";
  return out;
}

// Sales rows of `users` whose read-model row differs (owner, time, done,
// deleted, or the version it reflects: a creation carries none, and is
// version 1); empty when the read-model follows.
std::string rows_behind(Sql& sql, const std::vector<std::string>& users) {
  std::string out;
  for (const auto& row : sql.query(R"sql(
      select 'meeting ' || s.id || ' v' || s.version || ' seen as ' || coalesce(a.version::text, 'none')
      from sales.meetings s left join analytics.meetings a on a.id = s.id
      where s.owner_id = any ($1::uuid[])
        and (a.id is null or a.owner_id is distinct from s.owner_id or a.scheduled_at is distinct from s.scheduled_at
             or a.deleted <> (s.deleted_at is not null) or greatest(a.version, a.owner_version, 1) <> s.version)
      union all
      select 'task ' || s.id || ' v' || s.version || ' seen as ' || coalesce(a.version::text, 'none')
      from sales.tasks s left join analytics.tasks a on a.id = s.id
      where s.assignee_id = any ($1::uuid[])
        and (a.id is null or a.assignee_id is distinct from s.assignee_id or a.due_at is distinct from s.due_at
             or a.completed_at is distinct from date_trunc('milliseconds', s.completed_at) or a.deleted <> (s.deleted_at is not null)
             or greatest(a.version, a.assignee_version, 1) <> s.version))sql",
                                   {uuid_array(users)}))
    out += *row[0] + "\n";
  return out;
}

// Polls until the report and the read-model rows agree with the tables.
void expect_report_follows_tables(AuthHost& auth, Sql& sql, const std::vector<std::string>& users) {
  std::string report, tables, behind;
  const bool follows = eventually(
      [&] {
        report = reported(auth, users);
        tables = from_tables(sql, users);
        behind = rows_behind(sql, users);
        return report == tables && behind.empty();
      },
      30s, 100ms);
  INFO("report:\n" << report << "tables:\n" << tables << "read-model rows behind:\n" << behind);
  CHECK(follows);
}

std::string in_days(double days) {
  return utc_time(Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(days * 86400)));
}

} // namespace

TEST_CASE("after edits, deletions, a reassignment undone and one done, the sales summary equals one computed from "
          "the sales tables",
          "[analytics][activity-changes]") {
  AuthHost auth(analytics_options(
      {{"reassignment.lua", shipped_workflow("reassignment.lua")}, {"move_then_fail.lua", kMoveThenFail}},
      {"opportunity"}));
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  const Account& admin = auth.admin();
  Account from = auth.create_user("SALES"), to = auth.create_user("SALES"), other = auth.create_user("SALES");
  const std::vector<std::string> users{from.id, to.id, other.id};

  const std::string customer = text_of(ok_json(http, from, "POST", "/api/customers", R"({"name":"Followed"})", 201), "id");
  auto task = [&](double due_in_days) {
    return text_of(ok_json(http, from, "POST", "/api/tasks",
                           "{\"title\":\"Call\",\"customerId\":\"" + customer + "\",\"dueAt\":\"" +
                               in_days(due_in_days) + "\"}",
                           201),
                   "id");
  };
  auto meeting = [&](double in) {
    return text_of(ok_json(http, from, "POST", "/api/meetings",
                           "{\"title\":\"Visit\",\"customerId\":\"" + customer + "\",\"scheduledAt\":\"" + in_days(in) +
                               "\"}",
                           201),
                   "id");
  };
  // Overdue tasks and future meetings are what the summary shows and a
  // reassignment moves.
  task(-2);
  task(-1);
  const std::string deleted_task = task(-3);
  const std::string made_overdue = task(4);
  const std::string handed_over = task(-2.5);
  const std::string done = task(1);
  meeting(3);
  meeting(5);
  const std::string deleted_meeting = meeting(4);
  const std::string postponed = meeting(6);
  meeting(-1); // past: stays with `from`

  ok_json(http, from, "POST", "/api/tasks/" + done + "/complete");
  ok_json(http, from, "PATCH", "/api/tasks/" + made_overdue, "{\"dueAt\":\"" + in_days(-4) + "\"}");
  ok_json(http, admin, "PATCH", "/api/tasks/" + handed_over, "{\"assigneeId\":\"" + other.id + "\"}");
  REQUIRE(as(http, from, "DELETE", "/api/tasks/" + deleted_task).status == 204);
  ok_json(http, from, "PATCH", "/api/meetings/" + postponed, "{\"scheduledAt\":\"" + in_days(kDaysAhead + 10) + "\"}");
  REQUIRE(as(http, from, "DELETE", "/api/meetings/" + deleted_meeting).status == 204);

  INFO("after edits and deletions");
  expect_report_follows_tables(auth, sql, users);
  CHECK(from_tables(sql, users) == from.id + ": 3/1/3\n" + to.id + ": 0/0/0\n" + other.id + ": 0/0/1\n");

  // Moved a batch of 2 at a time, then all moved back.
  const std::string input = "{\"fromUserId\":\"" + from.id + "\",\"toUserId\":\"" + to.id + "\"}";
  wait_for_instance(auth, start_instance(auth, "move_then_fail", input), "COMPENSATED");
  CHECK(sql.count("select count(*) from sales.crm_outbox where type = 'task.reassigned' and data ->> 'toUserId' = $1",
                  {to.id}) == 2);
  CHECK(sql.count("select count(*) from sales.crm_outbox where type = 'task.reassigned' and data ->> 'toUserId' = $1",
                  {from.id}) == 2);
  INFO("after a reassignment undone");
  expect_report_follows_tables(auth, sql, users);

  // The shipped saga, to the end.
  auto r = auth.call("POST", "/api/sagas/reassignment", input, admin.access_token);
  INFO(r.body);
  REQUIRE(r.status == 202);
  wait_for_instance(auth, text_of(r.json(), "workflowInstanceId"), "COMPLETED");
  CHECK(from_tables(sql, users) == from.id + ": 1/1/0\n" + to.id + ": 2/0/3\n" + other.id + ": 0/0/1\n");
  INFO("after the reassignment");
  expect_report_follows_tables(auth, sql, users);
}

namespace {

// One event as the relay would deliver it, and the projection it goes to.
struct Delivery {
  std::string operation, envelope;
};

std::string envelope(const std::string& type, const std::string& subject, const std::string& time,
                     const std::string& data) {
  return "{\"id\":\"" + random_uuid() + "\",\"type\":\"" + type + "\",\"source\":\"sales\",\"time\":\"" + time +
         "\",\"subject\":\"" + subject + "\",\"actor\":\"system\",\"traceparent\":null,\"data\":" + data + "}";
}

// `version` and `deleted`, as sales adds them to every event but *.created
// (version 0 here).
std::string versioned(int version, bool deleted) {
  if (version == 0) return "";
  return ",\"version\":" + std::to_string(version) + ",\"deleted\":" + (deleted ? "true" : "false");
}

std::string task_data(const std::string& id, const std::string& assignee, const std::string& due, int version,
                      const std::string& completed = "", bool deleted = false) {
  return "{\"id\":\"" + id + "\",\"customerId\":null,\"assigneeId\":\"" + assignee +
         "\",\"title\":\"Ordered\",\"dueAt\":\"" + due + "\",\"priority\":\"NORMAL\",\"status\":\"" +
         (completed.empty() ? "OPEN" : "DONE") + "\",\"completedAt\":" +
         (completed.empty() ? "null" : "\"" + completed + "\"") +
         ",\"createdAt\":\"2026-01-02T03:04:05.000Z\"" + versioned(version, deleted) + "}";
}

std::string meeting_data(const std::string& id, const std::string& owner, const std::string& at, int version,
                         bool deleted = false) {
  return "{\"id\":\"" + id + "\",\"customerId\":\"" + random_uuid() + "\",\"ownerId\":\"" + owner +
         "\",\"title\":\"Ordered\",\"scheduledAt\":\"" + at +
         "\",\"durationMinutes\":30,\"createdAt\":\"2026-01-02T03:04:05.000Z\"" + versioned(version, deleted) + "}";
}

std::string moved_data(const std::string& from, const std::string& to,
                       const std::vector<std::pair<std::string, int>>& rows) {
  std::string ids, versions;
  for (const auto& [id, version] : rows) {
    ids += (ids.empty() ? "\"" : ",\"") + id + "\"";
    versions += (versions.empty() ? "" : ",") + std::to_string(version);
  }
  return "{\"fromUserId\":\"" + from + "\",\"toUserId\":\"" + to + "\",\"ids\":[" + ids + "],\"versions\":[" +
         versions + "]}";
}

std::string deliveries_input(const std::vector<Delivery>& deliveries, bool reset) {
  std::string out = std::string("{\"reset\":") + (reset ? "true" : "false") + ",\"deliveries\":[";
  for (size_t i = 0; i < deliveries.size(); ++i)
    out += (i ? "," : "") + std::string("{\"operation\":\"") + deliveries[i].operation +
           "\",\"event\":" + deliveries[i].envelope + "}";
  return out + "]}";
}

} // namespace

TEST_CASE("activity events applied twice and in any order leave the read-model they leave applied once in order",
          "[analytics][activity-changes]") {
  AuthHost auth(analytics_options({{"apply_activity_events.lua", kApplyEvents}}));
  auto sql = auth.host().sql();
  const std::string s1 = random_uuid(), s2 = random_uuid();
  const std::string a = random_uuid(), b = random_uuid(), c = random_uuid();
  const std::string m = random_uuid(), n = random_uuid(), p = random_uuid();
  const std::string due1 = "2026-03-02T10:00:00.000Z", due2 = "2026-03-09T10:00:00.000Z",
                    due3 = "2026-03-16T10:00:00.000Z", done_at = "2026-03-05T10:00:00.000Z";
  const std::string at1 = "2026-03-03T09:00:00.000Z", at2 = "2026-03-04T09:00:00.000Z",
                    at3 = "2026-03-06T09:00:00.000Z", at4 = "2026-03-07T09:00:00.000Z";
  int second = 0;
  auto time = [&] {
    char out[32];
    std::snprintf(out, sizeof out, "2026-03-01T00:00:%02dZ", second++);
    return std::string(out);
  };

  // The history, in the order sales wrote it.
  const std::vector<Delivery> history{
      {"analytics.project_task_created", envelope("task.created", a, time(), task_data(a, s1, due1, 0))},
      {"analytics.project_task_created", envelope("task.created", b, time(), task_data(b, s1, due1, 0))},
      {"analytics.project_task_created", envelope("task.created", c, time(), task_data(c, s1, due3, 0))},
      {"analytics.project_meeting_created", envelope("meeting.created", m, time(), meeting_data(m, s1, at1, 0))},
      {"analytics.project_meeting_created", envelope("meeting.created", n, time(), meeting_data(n, s1, at2, 0))},
      {"analytics.project_meeting_created", envelope("meeting.created", p, time(), meeting_data(p, s1, at4, 0))},
      {"analytics.project_task_updated", envelope("task.updated", a, time(), task_data(a, s1, due2, 2))},
      {"analytics.project_task_deleted", envelope("task.deleted", b, time(), task_data(b, s1, due1, 2, "", true))},
      {"analytics.project_task_reassigned", envelope("task.reassigned", s1, time(), moved_data(s1, s2, {{a, 3}, {c, 2}}))},
      {"analytics.project_meeting_reassigned",
       envelope("meeting.reassigned", s1, time(), moved_data(s1, s2, {{m, 2}, {n, 2}}))},
      {"analytics.project_task_completed", envelope("task.completed", a, time(), task_data(a, s2, due2, 4, done_at))},
      {"analytics.project_task_reassigned", envelope("task.reassigned", s2, time(), moved_data(s2, s1, {{c, 3}}))},
      {"analytics.project_meeting_updated", envelope("meeting.updated", m, time(), meeting_data(m, s2, at3, 3))},
      {"analytics.project_meeting_deleted", envelope("meeting.deleted", n, time(), meeting_data(n, s2, at2, 3, true))},
      {"analytics.project_meeting_updated", envelope("meeting.updated", p, time(), meeting_data(p, s2, at4, 2))},
  };

  // What the read-model holds of these rows, and the rollups of the two users
  // (a rollup row whose counts were taken back to zero stays, and means what
  // no row means).
  const std::string ids = uuid_array({a, b, c, m, n, p});
  auto read_model = [&] {
    return *sql.scalar(R"sql(
      select json_build_object(
        'rows', (select json_agg(r order by r.id) from (
          select id, owner_id, scheduled_at as at, null::timestamptz as completed_at, deleted from analytics.meetings
          where id = any ($1::uuid[])
          union all
          select id, assignee_id, due_at, completed_at, deleted from analytics.tasks where id = any ($1::uuid[])) r),
        'days', (select json_agg(s order by s.user_id, s.day) from analytics.daily_user_stats s
                 where s.user_id = any ($2::uuid[]) and (s.meetings, s.tasks_completed, s.tasks_open_due) <> (0, 0, 0)),
        'months', (select json_agg(s order by s.user_id, s.month) from analytics.monthly_user_stats s
                   where s.user_id = any ($2::uuid[]) and (s.meetings, s.tasks_completed, s.tasks_open_due) <> (0, 0, 0))
      )::text)sql",
                       {ids, uuid_array({s1, s2})});
  };
  auto apply = [&](const std::vector<Delivery>& deliveries) {
    wait_for_instance(auth, start_instance(auth, "apply_activity_events", deliveries_input(deliveries, true)),
                      "COMPLETED");
    return read_model();
  };

  const std::string in_order = apply(history);
  // What that is: A done by S2, B deleted, C back with S1, M moved to S2 and
  // rescheduled, N deleted, P handed to S2 by an edit.
  auto owner_of = [&](const std::string& id) {
    return sql.scalar("select coalesce(max(owner_id::text), 'none') from (select id, owner_id, deleted from analytics.meetings union all "
                      "select id, assignee_id, deleted from analytics.tasks) r where id = $1::uuid and not deleted",
                      {id});
  };
  CHECK(owner_of(a) == std::optional<std::string>(s2));
  auto deleted = [&](const std::string& id) {
    return sql.count("select count(*) from (select id, deleted from analytics.meetings union all "
                     "select id, deleted from analytics.tasks) r where id = $1::uuid and deleted",
                     {id}) == 1;
  };
  CHECK(deleted(b));
  CHECK(owner_of(c) == std::optional<std::string>(s1));
  CHECK(owner_of(m) == std::optional<std::string>(s2));
  CHECK(deleted(n));
  CHECK(owner_of(p) == std::optional<std::string>(s2));
  CHECK(sql.count("select count(*) from analytics.meetings where id = $1::uuid and scheduled_at = $2::timestamptz",
                  {m, at3}) == 1);
  // S2: M on its new day, P, and A completed; S1: C open on its due day.
  CHECK(sql.count("select coalesce(sum(meetings), 0) from analytics.daily_user_stats where user_id = $1::uuid",
                  {s2}) == 2);
  CHECK(sql.count("select coalesce(sum(meetings), 0) from analytics.daily_user_stats where user_id = $1::uuid",
                  {s1}) == 0);
  CHECK(sql.count("select coalesce(sum(tasks_completed), 0) from analytics.daily_user_stats where user_id = $1::uuid",
                  {s2}) == 1);
  CHECK(sql.count("select coalesce(sum(tasks_open_due), 0) from analytics.daily_user_stats "
                  "where user_id = $1::uuid and day = '2026-03-16'",
                  {s1}) == 1);
  CHECK(sql.count("select coalesce(sum(tasks_open_due), 0) from analytics.daily_user_stats where user_id = $1::uuid",
                  {s2}) == 0);

  // Every event twice, newest first; then twice again, shuffled.
  std::vector<Delivery> reversed(history.rbegin(), history.rend());
  reversed.insert(reversed.end(), history.rbegin(), history.rend());
  CHECK(apply(reversed) == in_order);
  std::vector<Delivery> shuffled = reversed;
  for (unsigned seed : {19u, 2026u}) {
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(seed));
    INFO("shuffled with seed " << seed);
    CHECK(apply(shuffled) == in_order);
  }
}
