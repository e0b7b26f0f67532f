// The analytics plugin's read-models on a running host: events of one
// entity merge into the same state whatever order their consumers see them
// in; a projection applies an event once by itself (as a rebuild needs,
// which replays events without the host's inbox); the customer-deletion
// saga's steps archive and restore a customer's notifications and drop the
// customer from the read-models for good.
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::system_clock;

// The ADMIN's report for today, one user's item (all zeros when absent).
Poco::JSON::Object::Ptr today_of(AuthHost& auth, const std::string& user) {
  const std::string today = utc_date(Clock::now());
  auto reply =
      ok_json(auth.host().http(), auth.admin(), "GET", "/api/reports/sales-summary?from=" + today + "&to=" + today);
  for (const auto& item : items_of(reply))
    if (text_of(item, "user") == user) return item;
  return nullptr;
}

long long today_figure(AuthHost& auth, const std::string& user, const std::string& key) {
  auto item = today_of(auth, user);
  return item ? number_of(item, key) : 0;
}

std::string customer_json(const std::string& id, const std::string& owner, const std::string& status,
                          const std::string& created) {
  return "{\"id\":\"" + id + "\",\"name\":\"Merged\",\"email\":null,\"phone\":null,\"company\":null,\"status\":\"" +
         status + "\",\"ownerId\":\"" + owner + "\",\"createdAt\":\"" + created + "\",\"updatedAt\":\"" + created +
         "\"}";
}

std::string task_json(const std::string& id, const std::string& assignee, const std::string& due,
                      const std::string& completed, const std::string& created) {
  return "{\"id\":\"" + id + "\",\"customerId\":null,\"assigneeId\":\"" + assignee +
         "\",\"title\":\"Merged\",\"description\":null,\"dueAt\":\"" + due +
         "\",\"priority\":\"NORMAL\",\"status\":\"" + (completed.empty() ? "OPEN" : "DONE") +
         "\",\"completedAt\":" + (completed.empty() ? "null" : "\"" + completed + "\"") + ",\"createdAt\":\"" +
         created + "\",\"updatedAt\":\"" + created + "\"}";
}

std::string approval_json(const std::string& id, const std::string& requester, const std::string& status,
                          const std::string& created, const std::string& decided) {
  return "{\"id\":\"" + id + "\",\"customerId\":null,\"requesterId\":\"" + requester +
         "\",\"title\":\"Merged\",\"amount\":75,\"currency\":\"EUR\",\"description\":null,\"status\":\"" + status +
         "\",\"level\":1,\"requiredLevels\":1,\"currentApproverId\":null,\"createdAt\":\"" + created +
         "\",\"decidedAt\":" + (decided.empty() ? "null" : "\"" + decided + "\"") + "}";
}

void wait_for_instance(AuthHost& auth, const std::string& id, const std::string& status) {
  std::string last;
  const bool reached = eventually(
      [&] {
        auto r = auth.get("/api/workflow-instances/" + id, auth.admin().access_token);
        last = r.body;
        return r.status == 200 && text_of(r.json(), "status") == status;
      },
      30s, 200ms);
  INFO("instance " << id << " never reached " << status << ": " << last);
  REQUIRE(reached);
}

std::string start_instance(AuthHost& auth, const std::string& workflow, const std::string& input) {
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/" + workflow, auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      15s));
  auto r = auth.call("POST", "/api/workflows/" + workflow + "/instances", "{\"input\":" + input + "}",
                     auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text_of(r.json(), "id");
}

// The deletion saga's steps on analytics, as a test workflow: archive the
// customer's notifications, then drop it from the read-models.
constexpr const char* kCleanupWorkflow = R"lua(
return saga "analytics_cleanup" {
  trigger = manual,
  steps = {
    step "archive" { call = "analytics.archive_for_customer", compensate = "analytics.restore_archived" },
    step "drop" { call = "analytics.drop_customer" },
  },
}
)lua";

// The same archive, then a step that fails: the archive is compensated.
constexpr const char* kFailingCleanupWorkflow = R"lua(
return saga "analytics_cleanup_fails" {
  trigger = manual,
  steps = {
    step "archive" { call = "analytics.archive_for_customer", compensate = "analytics.restore_archived" },
    step "boom" {
      call = "customer.get",
      input = { id = "00000000-0000-4000-8000-000000000000" },
      retry = { attempts = 1, delay = "1s" },
    },
  },
}
)lua";

} // namespace

TEST_CASE("events of one entity merge into the same state whatever order they arrive in", "[analytics][read-model]") {
  AuthHost auth(analytics_options());
  auto sql = auth.host().sql();
  Account s1 = auth.create_user("SALES");
  Account s2 = auth.create_user("SALES");
  const auto now = Clock::now();
  const std::string t0 = utc_time(now - 10s), t1 = utc_time(now - 5s), t2 = utc_time(now - 1s);
  const std::string created = utc_time(now - 10s);

  // Each pair is written later event first; the events' times tell the order.
  const std::string moved = random_uuid(), deleted = random_uuid(), updated = random_uuid();
  std::vector<std::pair<std::string, std::string>> last; // event id, consumer
  publish_event(sql, "customer.reassigned", s1.id,
                "{\"fromUserId\":\"" + s1.id + "\",\"toUserId\":\"" + s2.id + "\",\"ids\":[\"" + moved + "\"]}",
                "customer", t2);
  last.emplace_back(
      publish_event(sql, "customer.created", moved, customer_json(moved, s1.id, "LEAD", created), "customer", t0),
      "analytics__project_customer_created");
  publish_event(sql, "customer.deleted", deleted, "{\"id\":\"" + deleted + "\",\"ownerId\":\"" + s1.id + "\"}",
                "customer", t1);
  last.emplace_back(
      publish_event(sql, "customer.created", deleted, customer_json(deleted, s1.id, "LEAD", created), "customer", t0),
      "analytics__project_customer_created");
  publish_event(sql, "customer.updated", updated, customer_json(updated, s1.id, "ACTIVE", created), "customer", t1);
  last.emplace_back(
      publish_event(sql, "customer.created", updated, customer_json(updated, s2.id, "LEAD", created), "customer", t0),
      "analytics__project_customer_created");

  const std::string task = random_uuid();
  publish_event(sql, "task.completed", task, task_json(task, s1.id, "2025-01-10T09:00:00.000Z", t1, created), "sales",
                t1);
  last.emplace_back(publish_event(sql, "task.created", task,
                                  task_json(task, s1.id, "2025-01-10T09:00:00.000Z", "", created), "sales", t0),
                    "analytics__project_task_created");

  const std::string approval = random_uuid();
  publish_event(sql, "approval.approved", approval, approval_json(approval, s1.id, "APPROVED", created, t1),
                "opportunity", t1);
  last.emplace_back(publish_event(sql, "approval.requested", approval,
                                  approval_json(approval, s1.id, "PENDING", created, ""), "opportunity", t0),
                    "analytics__project_approval_requested");

  // A cancelled approval restored (the customer's deletion undone), the
  // restoration seen first: the stale cancellation does not undo it.
  const std::string restored = random_uuid();
  publish_event(sql, "approval.requested", restored, approval_json(restored, s2.id, "PENDING", created, ""),
                "opportunity", t0);
  std::string again = approval_json(restored, s2.id, "PENDING", created, "");
  again.insert(again.size() - 1, ",\"restored\":true");
  last.emplace_back(publish_event(sql, "approval.requested", restored, again, "opportunity", t2),
                    "analytics__project_approval_requested");
  last.emplace_back(publish_event(sql, "approval.cancelled", restored,
                                  approval_json(restored, s2.id, "CANCELLED", created, t1), "opportunity", t1),
                    "analytics__project_approval_cancelled");

  for (const auto& [event, consumer] : last) wait_for_inbox(sql, "analytics", event, consumer);
  // The earlier-written events were published first: they are done too, or
  // the figures below wait for them.
  REQUIRE(eventually([&] { return today_figure(auth, s2.id, "customers") == 1; }, 20s));
  REQUIRE(eventually([&] { return today_figure(auth, s1.id, "approvalsApproved") == 1; }, 20s));
  REQUIRE(eventually([&] { return today_figure(auth, s1.id, "tasksCompleted") == 1; }, 20s));
  auto one = today_of(auth, s1.id);
  REQUIRE(one);
  CHECK(number_of(one, "customers") == 1); // `updated`, owned by S1 since its later event
  CHECK(number_of(one, "newCustomers") == 1);
  CHECK(number_of(one, "tasksCompleted") == 1);
  CHECK(number_of(one, "approvalsRequested") == 1);
  CHECK(number_of(one, "approvalsApproved") == 1);
  CHECK(amount_of(one, "approvedAmount") == 75.0);
  auto two = today_of(auth, s2.id);
  REQUIRE(two);
  CHECK(number_of(two, "customers") == 1); // `moved`
  CHECK(sql.count("select count(*) from analytics.customers where id = $1::uuid and deleted", {deleted}) == 1);
  CHECK(sql.count("select count(*) from analytics.tasks where id = $1::uuid and completed_at is not null", {task}) ==
        1);
  CHECK(sql.scalar("select status from analytics.approvals where id = $1::uuid", {restored}) ==
        std::optional<std::string>("PENDING"));
  CHECK(number_of(ok_json(auth.host().http(), s2, "GET", "/api/dashboard"), "myPendingRequests") == 1);
}

TEST_CASE("a projection applies an event once by itself, without the host's inbox", "[analytics][read-model]") {
  AuthHost auth(analytics_options());
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account sales = auth.create_user("SALES");
  const std::string customer =
      text_of(ok_json(http, sales, "POST", "/api/customers", R"({"name":"Once Only"})", 201), "id");
  const std::string task = text_of(ok_json(http, sales, "POST", "/api/tasks",
                                           "{\"title\":\"Once\",\"customerId\":\"" + customer + "\",\"dueAt\":\"" +
                                               utc_time(Clock::now() + 72h) + "\"}",
                                           201),
                                   "id");
  ok_json(http, sales, "POST", "/api/tasks/" + task + "/complete");
  REQUIRE(eventually([&] { return today_figure(auth, sales.id, "tasksCompleted") == 1; }, 20s));
  REQUIRE(eventually([&] { return today_figure(auth, sales.id, "customers") == 1; }, 20s));
  // Every event so far applied before counting: the accounts' user.created
  // come through a consumer of their own, and may land after the figures.
  for (const auto& row : sql.query("select id::text from auth.crm_outbox where type = 'user.created'"))
    wait_for_inbox(sql, "analytics", *row.at(0), "analytics__project_user_created");

  // As a rebuild overlapping live deliveries would: the same events again,
  // with no inbox row to stop them.
  struct Redelivery {
    std::string schema, type, consumer;
  };
  // Counted per redelivered event: other events (the onboarding workflow's
  // follow-up task) may still be applied meanwhile.
  std::vector<std::string> redelivered;
  for (const Redelivery& r : {Redelivery{"customer", "customer.created", "analytics__project_customer_created"},
                              Redelivery{"sales", "task.created", "analytics__project_task_created"},
                              Redelivery{"sales", "task.completed", "analytics__project_task_completed"}}) {
    auto event = sql.scalar("select id::text from " + r.schema + ".crm_outbox where type = $1", {r.type});
    REQUIRE(event);
    wait_for_inbox(sql, "analytics", *event, r.consumer);
    CHECK(sql.count("select count(*) from analytics.applied_events where event_id = $1::uuid", {*event}) == 1);
    redelivered.push_back(*event);
    sql.query("delete from analytics.crm_inbox where event_id = $1::uuid", {*event});
    replay_event(auth, sql, r.schema, *event);
    wait_for_inbox(sql, "analytics", *event, r.consumer);
  }
  CHECK(today_figure(auth, sales.id, "tasksCompleted") == 1);
  CHECK(today_figure(auth, sales.id, "customers") == 1);
  CHECK(today_figure(auth, sales.id, "newCustomers") == 1);
  CHECK(number_of(ok_json(http, sales, "GET", "/api/dashboard"), "customersOwned") == 1);
  for (const auto& event : redelivered)
    CHECK(sql.count("select count(*) from analytics.applied_events where event_id = $1::uuid", {event}) == 1);
  CHECK(sql.count("select coalesce(sum(tasks_completed), 0) from analytics.daily_user_stats") == 1);
}

TEST_CASE("the deletion saga's steps archive a customer's notifications, restore them, and drop the customer",
          "[analytics][read-model]") {
  AuthHost auth(analytics_options(
      {{"analytics_cleanup.lua", kCleanupWorkflow}, {"analytics_cleanup_fails.lua", kFailingCleanupWorkflow}}));
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account sales = auth.create_user("SALES");
  const std::string customer =
      text_of(ok_json(http, sales, "POST", "/api/customers", R"({"name":"Leaving Soon"})", 201), "id");
  const std::string other = text_of(ok_json(http, sales, "POST", "/api/customers", R"({"name":"Staying"})", 201), "id");
  auto task_for = [&](const std::string& c, std::chrono::minutes in) {
    return text_of(ok_json(http, sales, "POST", "/api/tasks",
                           "{\"title\":\"About " + c.substr(0, 8) + "\",\"customerId\":\"" + c + "\",\"dueAt\":\"" +
                               utc_time(Clock::now() + in) + "\"}",
                           201),
                   "id");
  };
  task_for(customer, 30min);
  task_for(other, 40min);
  ok_json(http, sales, "POST", "/api/meetings",
          "{\"customerId\":\"" + customer + "\",\"title\":\"Visit\",\"scheduledAt\":\"" + utc_time(Clock::now() + 48h) +
              "\"}",
          201);
  REQUIRE(auth.call("POST", "/api/tasks/scan-due", "", auth.admin().access_token).status == 200);
  auto notifications = [&] { return items_of(ok_json(http, sales, "GET", "/api/notifications")); };
  REQUIRE(eventually([&] { return notifications().size() == 2; }, 20s));
  auto dashboard = [&] { return ok_json(http, sales, "GET", "/api/dashboard"); };
  REQUIRE(eventually([&] { return number_of(dashboard(), "upcomingMeetings") == 1; }, 20s));
  REQUIRE(eventually([&] { return number_of(dashboard(), "openTasks") == 2; }, 20s));
  REQUIRE(eventually([&] { return number_of(dashboard(), "customersOwned") == 2; }, 20s));
  const std::string input = "{\"customerId\":\"" + customer + "\"}";

  // A later step fails: the archived notification comes back.
  wait_for_instance(auth, start_instance(auth, "analytics_cleanup_fails", input), "COMPENSATED");
  CHECK(notifications().size() == 2);

  // The whole saga: the customer's notification is hidden, the other stays;
  // the customer, its future meeting and its open task leave the figures.
  wait_for_instance(auth, start_instance(auth, "analytics_cleanup", input), "COMPLETED");
  auto left = notifications();
  REQUIRE(left.size() == 1);
  CHECK(contains(text_of(left[0], "title"), other.substr(0, 8)));
  CHECK(number_of(dashboard(), "unreadNotifications") == 1);
  auto after = dashboard();
  CHECK(number_of(after, "customersOwned") == 1);
  CHECK(number_of(after, "upcomingMeetings") == 0);
  CHECK(number_of(after, "openTasks") == 1);
  CHECK(today_figure(auth, sales.id, "customers") == 1);

  // Its creation delivered again (a rebuild) does not bring it back.
  auto created = sql.scalar("select id::text from customer.crm_outbox where type = 'customer.created' and subject = $1",
                            {customer});
  REQUIRE(created);
  sql.query("delete from analytics.crm_inbox where event_id = $1::uuid", {*created});
  sql.query("delete from analytics.applied_events where event_id = $1::uuid", {*created});
  replay_event(auth, sql, "customer", *created);
  wait_for_inbox(sql, "analytics", *created, "analytics__project_customer_created");
  CHECK(number_of(dashboard(), "customersOwned") == 1);
  CHECK(today_figure(auth, sales.id, "customers") == 1);
}
