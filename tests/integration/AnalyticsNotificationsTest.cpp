// The analytics plugin's notifications on a running host: the right user is
// told once per event (approval assignments and escalations, decisions, due
// tasks, reassigned customers), also when the event is delivered again with
// or without the host's inbox; users read their own notifications only,
// page through them, mark one or all read.
//
// Approval events come from an opportunity plugin this build does not ship
// yet: the tests write them into the platform's outbox, from where the real
// relay and consumers deliver them (AnalyticsHost.hpp).
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The approval JSON of the opportunity plugin's events, plus `extra` fields.
std::string approval_data(const std::string& id, const std::string& requester, const std::string& approver,
                          const std::string& status, const std::string& extra = "") {
  return "{\"id\":\"" + id + "\",\"customerId\":\"" + random_uuid() + "\",\"requesterId\":\"" + requester +
         "\",\"title\":\"Big deal\",\"amount\":12500.5,\"currency\":\"EUR\",\"description\":null,\"status\":\"" +
         status + "\",\"level\":1,\"requiredLevels\":2,\"currentApproverId\":" +
         (approver.empty() ? std::string("null") : "\"" + approver + "\"") +
         ",\"createdAt\":\"2026-01-05T10:00:00.000Z\",\"decidedAt\":null" + extra + "}";
}

std::vector<Poco::JSON::Object::Ptr> notifications_of(Http& http, const Account& who, const std::string& query = "") {
  return items_of(ok_json(http, who, "GET", "/api/notifications" + query));
}

// Waits until `who` has `n` notifications; returns them.
std::vector<Poco::JSON::Object::Ptr> wait_for_notifications(Http& http, const Account& who, size_t n) {
  std::vector<Poco::JSON::Object::Ptr> items;
  const bool arrived = eventually([&] { return (items = notifications_of(http, who)).size() >= n; }, 20s);
  INFO(who.role << " " << who.id << " has " << items.size() << " notifications, expected " << n);
  REQUIRE(arrived);
  return items;
}

std::string task_due_in(Http& http, const Account& who, const std::string& title, std::chrono::minutes in) {
  auto task = ok_json(
      http, who, "POST", "/api/tasks",
      "{\"title\":\"" + title + "\",\"dueAt\":\"" + utc_time(std::chrono::system_clock::now() + in) + "\"}", 201);
  return text_of(task, "id");
}

void scan_due_tasks(AuthHost& auth) {
  auto r = auth.call("POST", "/api/tasks/scan-due", "", auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 200);
}

std::string due_soon_event_of(Sql& sql, const std::string& task) {
  auto id = sql.scalar("select id::text from sales.crm_outbox where type = 'task.due_soon' and subject = $1", {task});
  REQUIRE(id);
  return *id;
}

// A test workflow: moves fromUserId's customers to toUserId through the
// customer plugin (which emits customer.reassigned).
constexpr const char* kReassignWorkflow = R"lua(
return saga "analytics_reassign" {
  trigger = manual,
  steps = {
    step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_owner" },
  },
}
)lua";

} // namespace

TEST_CASE("the approver is told once, an escalation says so, and the requester hears the decision",
          "[analytics][notifications]") {
  AuthHost auth(analytics_options());
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account requester = auth.create_user("SALES");
  Account approver = auth.create_user("MANAGER");
  Account escalated_to = auth.create_user("MANAGER");

  const std::string first = random_uuid(), second = random_uuid();
  publish_event(
      sql, "approval.assigned", first,
      approval_data(first, requester.id, approver.id, "PENDING", ",\"escalated\":false,\"previousApproverId\":null"));
  publish_event(sql, "approval.assigned", first,
                approval_data(first, requester.id, escalated_to.id, "PENDING",
                              ",\"escalated\":true,\"previousApproverId\":\"" + approver.id + "\""));
  publish_event(sql, "approval.approved", first,
                approval_data(first, requester.id, escalated_to.id, "APPROVED",
                              ",\"decidedBy\":\"" + escalated_to.id + "\",\"comment\":\"fine by me\""));
  publish_event(
      sql, "approval.assigned", second,
      approval_data(second, requester.id, approver.id, "PENDING", ",\"escalated\":false,\"previousApproverId\":null"));
  const std::string rejected =
      publish_event(sql, "approval.rejected", second,
                    approval_data(second, requester.id, approver.id, "REJECTED",
                                  ",\"decidedBy\":\"" + approver.id + "\",\"comment\":\"too expensive\""));

  auto mine = wait_for_notifications(http, approver, 2);
  for (const auto& n : mine) {
    CHECK(text_of(n, "kind") == "APPROVAL_ASSIGNED");
    CHECK(text_of(n, "title") == "Approval needed: Big deal");
    CHECK(text_of(n, "userId") == approver.id);
    CHECK(text_of(n, "resourceType") == "approval");
    CHECK(n->getValue<bool>("read") == false);
  }
  CHECK(std::set<std::string>{text_of(mine[0], "resourceId"), text_of(mine[1], "resourceId")} ==
        std::set<std::string>{first, second});

  auto escalation = wait_for_notifications(http, escalated_to, 1);
  REQUIRE(escalation.size() == 1);
  CHECK(text_of(escalation[0], "kind") == "APPROVAL_ESCALATED");
  CHECK(text_of(escalation[0], "title") == "Approval needed: Big deal");
  CHECK(text_of(escalation[0], "resourceId") == first);

  auto decisions = wait_for_notifications(http, requester, 2);
  std::map<std::string, Poco::JSON::Object::Ptr> by_kind;
  for (const auto& n : decisions) by_kind[text_of(n, "kind")] = n;
  REQUIRE(by_kind.count("APPROVAL_APPROVED") == 1);
  REQUIRE(by_kind.count("APPROVAL_REJECTED") == 1);
  CHECK(text_of(by_kind["APPROVAL_APPROVED"], "title") == "Approved: Big deal");
  CHECK(text_of(by_kind["APPROVAL_APPROVED"], "resourceId") == first);
  CHECK(contains(text_of(by_kind["APPROVAL_REJECTED"], "body"), "too expensive"));

  // Every consumer is done with the last event: nothing more is coming.
  wait_for_inbox(sql, "analytics", rejected, "analytics__notify_approval_rejected");
  CHECK(notifications_of(http, approver).size() == 2);
  CHECK(notifications_of(http, escalated_to).size() == 1);
  CHECK(notifications_of(http, requester).size() == 2);

  // Each notification was announced once, with exactly its JSON as data (what
  // the host pushes to the user's stream).
  CHECK(sql.count("select count(*) from analytics.crm_outbox where type = 'notification.created'") == 5);
  for (const auto& n : decisions) {
    auto data = sql.scalar("select data::text from analytics.crm_outbox where type = 'notification.created' "
                           "and subject = $1",
                           {text_of(n, "id")});
    REQUIRE(data);
    Poco::JSON::Parser parser;
    auto announced = parser.parse(*data).extract<Poco::JSON::Object::Ptr>();
    CHECK(json_of(*announced) == json_of(*n));
    std::set<std::string> keys;
    for (const auto& [key, value] : *announced) keys.insert(key);
    CHECK(keys == std::set<std::string>{"id", "userId", "kind", "title", "body", "resourceType", "resourceId", "read",
                                        "createdAt"});
  }
}

TEST_CASE("a due task's assignee is told once, also when the event is delivered again with or without the inbox",
          "[analytics][notifications]") {
  AuthHost auth(analytics_options());
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account sales = auth.create_user("SALES");
  const std::string task = task_due_in(http, sales, "Call back", 60min);
  scan_due_tasks(auth);
  const std::string event = due_soon_event_of(sql, task);

  auto items = wait_for_notifications(http, sales, 1);
  REQUIRE(items.size() == 1);
  CHECK(text_of(items[0], "kind") == "TASK_DUE_SOON");
  CHECK(text_of(items[0], "title") == "Task due soon: Call back");
  CHECK(text_of(items[0], "resourceType") == "task");
  CHECK(text_of(items[0], "resourceId") == task);
  wait_for_inbox(sql, "analytics", event, "analytics__notify_task_due_soon");

  SECTION("through the host's inbox") {
    replay_event(auth, sql, "sales", event);
    REQUIRE(eventually(
        [&] {
          return metric_value(http.get("/metrics").body, "crm_consumer_duplicates",
                              {{"consumer", "analytics__notify_task_due_soon"}})
                     .value_or(0) >= 1.0;
        },
        20s));
  }
  SECTION("without the inbox, by the plugin's own guard") {
    sql.query("delete from analytics.crm_inbox where event_id = $1::uuid", {event});
    replay_event(auth, sql, "sales", event);
    wait_for_inbox(sql, "analytics", event, "analytics__notify_task_due_soon");
  }
  CHECK(notifications_of(http, sales).size() == 1);
  CHECK(sql.count("select count(*) from analytics.notifications where event_id = $1::uuid", {event}) == 1);
  CHECK(sql.count("select count(*) from analytics.crm_outbox where type = 'notification.created'") == 1);
}

TEST_CASE("users page through their own notifications, mark one or all read, and never reach another's",
          "[analytics][notifications]") {
  AuthHost auth(analytics_options());
  Http& http = auth.host().http();
  Account sales = auth.create_user("SALES");
  Account other = auth.create_user("SALES");
  for (const char* title : {"One", "Two", "Three"}) task_due_in(http, sales, title, 30min);
  task_due_in(http, other, "Elsewhere", 30min);
  scan_due_tasks(auth);
  wait_for_notifications(http, sales, 3);
  auto theirs = wait_for_notifications(http, other, 1);

  // Newest first, two to a page.
  auto page1 = ok_json(http, sales, "GET", "/api/notifications?limit=2");
  auto first = items_of(page1);
  REQUIRE(first.size() == 2);
  REQUIRE(!page1->isNull("nextCursor"));
  auto page2 = ok_json(http, sales, "GET", "/api/notifications?limit=2&cursor=" + text_of(page1, "nextCursor"));
  auto second = items_of(page2);
  REQUIRE(second.size() == 1);
  CHECK(page2->isNull("nextCursor"));
  std::vector<std::string> times{text_of(first[0], "createdAt"), text_of(first[1], "createdAt"),
                                 text_of(second[0], "createdAt")};
  CHECK(times[0] >= times[1]);
  CHECK(times[1] >= times[2]);
  std::set<std::string> ids{text_of(first[0], "id"), text_of(first[1], "id"), text_of(second[0], "id")};
  CHECK(ids.size() == 3);

  // One read: the unread lists leave it out.
  const std::string one = text_of(first[0], "id");
  auto read = ok_json(http, sales, "PATCH", "/api/notifications/" + one + "/read");
  CHECK(read->getValue<bool>("read"));
  CHECK(text_of(read, "id") == one);
  CHECK(ok_json(http, sales, "PATCH", "/api/notifications/" + one + "/read")->getValue<bool>("read"));
  CHECK(items_of(ok_json(http, sales, "GET", "/api/notifications/unread")).size() == 2);
  CHECK(items_of(ok_json(http, sales, "GET", "/api/notifications?unread=true")).size() == 2);
  CHECK(items_of(ok_json(http, sales, "GET", "/api/notifications")).size() == 3);
  CHECK(number_of(ok_json(http, sales, "GET", "/api/dashboard"), "unreadNotifications") == 2);

  // Another user's notification does not exist for the caller.
  require_problem(as(http, other, "PATCH", "/api/notifications/" + one + "/read"), 404);
  require_problem(as(http, sales, "PATCH", "/api/notifications/" + text_of(theirs[0], "id") + "/read"), 404);
  require_problem(as(http, sales, "PATCH", "/api/notifications/" + random_uuid() + "/read"), 404);
  CHECK(!ok_json(http, other, "GET", "/api/notifications")->getArray("items")->getObject(0)->getValue<bool>("read"));

  // Read-all counts what it changed, and only the caller's.
  CHECK(number_of(ok_json(http, other, "POST", "/api/notifications/read-all"), "updated") == 1);
  CHECK(items_of(ok_json(http, sales, "GET", "/api/notifications/unread")).size() == 2);
  CHECK(number_of(ok_json(http, sales, "POST", "/api/notifications/read-all"), "updated") == 2);
  CHECK(number_of(ok_json(http, sales, "POST", "/api/notifications/read-all"), "updated") == 0);
  CHECK(items_of(ok_json(http, sales, "GET", "/api/notifications/unread")).empty());

  // Bad paging input is a 422 on its field; no token is a 401.
  auto bad_cursor = require_problem(as(http, sales, "GET", "/api/notifications?cursor=nonsense"), 422);
  CHECK(error_fields(bad_cursor) == std::vector<std::string>{"cursor"});
  auto bad_limit = require_problem(as(http, sales, "GET", "/api/notifications?limit=0"), 422);
  CHECK(error_fields(bad_limit) == std::vector<std::string>{"limit"});
  require_problem(http.get("/api/notifications"), 401);
}

TEST_CASE("the new owner of reassigned customers is told once per move", "[analytics][notifications]") {
  AuthHost auth(analytics_options({{"analytics_reassign.lua", kReassignWorkflow}}));
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account from = auth.create_user("SALES");
  Account to = auth.create_user("SALES");
  std::vector<std::string> customers;
  for (const char* name : {"Ada", "Grace"})
    customers.push_back(
        text_of(ok_json(http, from, "POST", "/api/customers", "{\"name\":\"" + std::string(name) + "\"}", 201), "id"));
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/analytics_reassign", auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      15s));

  auto started = auth.call("POST", "/api/workflows/analytics_reassign/instances",
                           "{\"input\":{\"fromUserId\":\"" + from.id + "\",\"toUserId\":\"" + to.id + "\"}}",
                           auth.admin().access_token);
  INFO(started.body);
  REQUIRE((started.status == 201 || started.status == 202));

  auto items = wait_for_notifications(http, to, 1);
  REQUIRE(items.size() == 1);
  CHECK(text_of(items[0], "kind") == "CUSTOMER_REASSIGNED");
  CHECK(text_of(items[0], "title") == "2 customers were reassigned to you");
  CHECK(text_of(items[0], "resourceType") == "customer");
  CHECK(items[0]->isNull("resourceId"));
  CHECK(notifications_of(http, from).empty());

  // The read-model follows the move too.
  REQUIRE(
      eventually([&] { return number_of(ok_json(http, to, "GET", "/api/dashboard"), "customersOwned") == 2; }, 20s));
  CHECK(number_of(ok_json(http, from, "GET", "/api/dashboard"), "customersOwned") == 0);
  auto event = sql.scalar("select id::text from customer.crm_outbox where type = 'customer.reassigned'");
  REQUIRE(event);
  wait_for_inbox(sql, "analytics", *event, "analytics__notify_customer_reassigned");
  CHECK(notifications_of(http, to).size() == 1);
}
