// The analytics plugin's reports on a running host, against a fixture whose
// figures are worked out by hand below: customers, meetings and tasks made
// through the REST API with known dates, approvals as the opportunity
// plugin's events (written into the platform outbox: that plugin is not in
// this build), all of it reaching the read-models through the real events.
//
// The team: manager M with S1 and S2 below it; S3 in no team.
//
//   customers (created today): S1 c1, c2, c3; S2 c4; S3 c5, c6.
//     M moves c2 to S2 and deletes c3: S1 owns 1, S2 2, S3 2.
//   meetings:  S1 2025-01-15, 2025-02-10, 2025-02-20T23:30-02:00 (= 02-21 UTC),
//                 2025-04-02, in two days
//              S2 2025-03-05
//              S3 2025-01-20, 2025-03-31T23:30-01:00 (= 04-01 UTC)
//   tasks:     S1 due 2025-01-10 open, 2025-03-15 open, 2025-02-05 completed
//                 today, due in two hours open, due a minute ago open
//              S2 due 2025-02-01 open, 2025-03-20 completed today
//              S3 due 2025-03-30 open
//   approvals: a1 S1 requested 2025-02-03, approved 2025-02-04, 1000 EUR
//              a2 S1 requested 2025-03-01, rejected 2025-03-02, 250 EUR
//              a3 S2 requested 2025-01-05, pending with M, 500 EUR
//              a4 S3 requested 2025-01-07, approved 2025-01-09, 300 USD
//              a5 S1 requested 2025-03-10, cancelled, 50 EUR
//
// 2025-Q1 per user (from=2025-01-01, to=2025-03-31), as M (S3 not shown):
//   S1: customers 0, new 0, meetings 3, completed 0, overdue 2,
//       requested 3, approved 1, rejected 1, approvedAmount 1000
//   S2: meetings 1, overdue 1, requested 1, everything else 0
//   M:  all 0
// as ADMIN, S3 too: meetings 1, overdue 1, requested 1, approved 1, 300.
// 2025-Q1 per month, as M:
//   2025-01: meetings 1, overdue 1, requested 1
//   2025-02: meetings 2, overdue 1, requested 1, approved 1, 1000
//   2025-03: meetings 1, overdue 1, requested 2, rejected 1
// The last 30 days (the default), as M: S1 customers 1, new 1, completed 1,
// overdue 1 (due a minute ago); S2 customers 2, new 2, completed 1.
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

struct Figures {
  long long customers = 0, new_customers = 0, meetings = 0, tasks_completed = 0, tasks_overdue = 0,
            approvals_requested = 0, approvals_approved = 0, approvals_rejected = 0;
  double approved_amount = 0;
  bool operator==(const Figures&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Figures& f) {
  return out << "{customers " << f.customers << ", new " << f.new_customers << ", meetings " << f.meetings
             << ", completed " << f.tasks_completed << ", overdue " << f.tasks_overdue << ", requested "
             << f.approvals_requested << ", approved " << f.approvals_approved << ", rejected "
             << f.approvals_rejected << ", amount " << f.approved_amount << "}";
}

Figures figures_of(const Poco::JSON::Object::Ptr& item) {
  Figures f;
  f.customers = number_of(item, "customers");
  f.new_customers = number_of(item, "newCustomers");
  f.meetings = number_of(item, "meetings");
  f.tasks_completed = number_of(item, "tasksCompleted");
  f.tasks_overdue = number_of(item, "tasksOverdue");
  f.approvals_requested = number_of(item, "approvalsRequested");
  f.approvals_approved = number_of(item, "approvalsApproved");
  f.approvals_rejected = number_of(item, "approvalsRejected");
  f.approved_amount = amount_of(item, "approvedAmount");
  return f;
}

// The report's items keyed by `key` ("user" or "month").
std::map<std::string, Figures> report(Http& http, const Account& who, const std::string& query,
                                      const std::string& key) {
  auto reply = ok_json(http, who, "GET", "/api/reports/sales-summary" + query);
  std::map<std::string, Figures> out;
  for (const auto& item : items_of(reply)) {
    // Flat items: every value a scalar (the host renders them as CSV).
    for (const auto& [name, value] : *item) {
      INFO("item field " << name);
      CHECK(!value.isArray());
      CHECK(value.type() != typeid(Poco::JSON::Object::Ptr));
    }
    out[text_of(item, key)] = figures_of(item);
  }
  return out;
}

// Polls the report until it equals `expected` (the events are still on their
// way at first), then checks it once more with a readable failure.
void expect_report(Http& http, const Account& who, const std::string& query, const std::string& key,
                   const std::map<std::string, Figures>& expected) {
  std::map<std::string, Figures> last;
  eventually([&] { return (last = report(http, who, query, key)) == expected; }, 30s, 200ms);
  for (const auto& [k, f] : expected) {
    INFO(who.role << " " << query << ": " << key << " " << k);
    REQUIRE(last.count(k) == 1);
    CHECK(last.at(k) == f);
  }
  CHECK(last.size() == expected.size());
}

Figures figures(long long customers, long long new_customers, long long meetings, long long completed,
                long long overdue, long long requested, long long approved, long long rejected, double amount) {
  return Figures{customers, new_customers, meetings, completed, overdue, requested, approved, rejected, amount};
}

std::string approval_json(const std::string& id, const Account& requester, const std::string& status,
                          const std::string& amount, const std::string& currency, const std::string& created,
                          const std::string& decided, const std::string& approver) {
  return "{\"id\":\"" + id + "\",\"customerId\":\"" + random_uuid() + "\",\"requesterId\":\"" + requester.id +
         "\",\"title\":\"Deal " + id.substr(0, 4) + "\",\"amount\":" + amount + ",\"currency\":\"" + currency +
         "\",\"description\":null,\"status\":\"" + status + "\",\"level\":1,\"requiredLevels\":1," +
         "\"currentApproverId\":" + (approver.empty() ? "null" : "\"" + approver + "\"") + ",\"createdAt\":\"" +
         created + "\",\"decidedAt\":" + (decided.empty() ? "null" : "\"" + decided + "\"") + "}";
}

struct Fixture {
  AuthHost auth{analytics_options()};
  Http& http = auth.host().http();
  Sql sql = auth.host().sql();
  Account admin = auth.admin();
  Account m = auth.create_user("MANAGER");
  Account s1 = auth.create_user("SALES", m.id);
  Account s2 = auth.create_user("SALES", m.id);
  Account s3 = auth.create_user("SALES");

  Fixture() {
    const auto now = std::chrono::system_clock::now();
    auto customer = [&](const Account& who, const char* name) {
      return text_of(ok_json(http, who, "POST", "/api/customers", std::string("{\"name\":\"") + name + "\"}", 201),
                     "id");
    };
    const std::string c1 = customer(s1, "c1"), c2 = customer(s1, "c2"), c3 = customer(s1, "c3");
    const std::string c4 = customer(s2, "c4"), c5 = customer(s3, "c5");
    customer(s3, "c6");
    ok_json(http, m, "PATCH", "/api/customers/" + c2, "{\"ownerId\":\"" + s2.id + "\"}");
    ok_json(http, m, "DELETE", "/api/customers/" + c3, "", 202);

    auto meeting = [&](const Account& who, const std::string& customer_id, const std::string& at) {
      ok_json(http, who, "POST", "/api/meetings",
              "{\"customerId\":\"" + customer_id + "\",\"title\":\"Visit\",\"scheduledAt\":\"" + at + "\"}", 201);
    };
    meeting(s1, c1, "2025-01-15T10:00:00Z");
    meeting(s1, c1, "2025-02-10T10:00:00Z");
    meeting(s1, c1, "2025-02-20T23:30:00-02:00");
    meeting(s1, c1, "2025-04-02T10:00:00Z");
    meeting(s1, c1, utc_time(now + 48h));
    meeting(s2, c4, "2025-03-05T10:00:00Z");
    meeting(s3, c5, "2025-01-20T10:00:00Z");
    meeting(s3, c5, "2025-03-31T23:30:00-01:00");

    auto task = [&](const Account& who, const std::string& due) {
      return text_of(ok_json(http, who, "POST", "/api/tasks", "{\"title\":\"Follow up\",\"dueAt\":\"" + due + "\"}", 201),
                     "id");
    };
    task(s1, "2025-01-10T09:00:00Z");
    task(s1, "2025-03-15T09:00:00Z");
    const std::string done1 = task(s1, "2025-02-05T09:00:00Z");
    task(s1, utc_time(now + 2h));
    task(s1, utc_time(now - 1min));
    task(s2, "2025-02-01T09:00:00Z");
    const std::string done2 = task(s2, "2025-03-20T09:00:00Z");
    task(s3, "2025-03-30T09:00:00Z");
    ok_json(http, s1, "POST", "/api/tasks/" + done1 + "/complete");
    ok_json(http, s2, "POST", "/api/tasks/" + done2 + "/complete");

    auto approval = [&](const Account& requester, const std::string& amount, const std::string& currency,
                        const std::string& created, const std::string& final_status, const std::string& decided,
                        const std::string& approver = "") {
      const std::string id = random_uuid();
      publish_event(sql, "approval.requested", id,
                    approval_json(id, requester, "PENDING", amount, currency, created, "", approver));
      if (final_status != "PENDING") {
        const std::string type = final_status == "APPROVED"   ? "approval.approved"
                                 : final_status == "REJECTED" ? "approval.rejected"
                                                              : "approval.cancelled";
        publish_event(sql, type, id, approval_json(id, requester, final_status, amount, currency, created, decided, ""));
      }
    };
    approval(s1, "1000", "EUR", "2025-02-03T10:00:00.000Z", "APPROVED", "2025-02-04T10:00:00.000Z");
    approval(s1, "250", "EUR", "2025-03-01T10:00:00.000Z", "REJECTED", "2025-03-02T10:00:00.000Z");
    approval(s2, "500", "EUR", "2025-01-05T10:00:00.000Z", "PENDING", "", m.id);
    approval(s3, "300", "USD", "2025-01-07T10:00:00.000Z", "APPROVED", "2025-01-09T10:00:00.000Z");
    approval(s1, "50", "EUR", "2025-03-10T10:00:00.000Z", "CANCELLED", "2025-03-11T10:00:00.000Z");
  }
};

constexpr const char* kQuarter = "?from=2025-01-01&to=2025-03-31";

} // namespace

TEST_CASE("the sales summary matches the hand-computed fixture, per user and per month, team by team",
          "[analytics][reports]") {
  Fixture f;
  const Figures zero{};

  // The manager sees itself and its team, not S3.
  expect_report(f.http, f.m, kQuarter, "user",
                {{f.s1.id, figures(0, 0, 3, 0, 2, 3, 1, 1, 1000)},
                 {f.s2.id, figures(0, 0, 1, 0, 1, 1, 0, 0, 0)},
                 {f.m.id, zero}});
  auto reply = ok_json(f.http, f.m, "GET", std::string("/api/reports/sales-summary") + kQuarter);
  CHECK(text_of(reply, "from") == "2025-01-01");
  CHECK(text_of(reply, "to") == "2025-03-31");
  CHECK(text_of(reply, "groupBy") == "user");
  for (const auto& item : items_of(reply))
    if (text_of(item, "user") == f.s1.id) CHECK(text_of(item, "userName") == "User " + f.s1.email.substr(0, f.s1.email.find('@')));

  expect_report(f.http, f.m, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 1, 0, 1, 1, 0, 0, 0)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 1, 2, 0, 1, 0)}});

  // The ADMIN sees everyone: S3 too, and the month totals grow by S3's share.
  auto all = report(f.http, f.admin, kQuarter, "user");
  REQUIRE(all.count(f.s3.id) == 1);
  CHECK(all.at(f.s3.id) == figures(0, 0, 1, 0, 1, 1, 1, 0, 300));
  CHECK(all.at(f.s1.id) == figures(0, 0, 3, 0, 2, 3, 1, 1, 1000));
  CHECK(all.count(f.m.id) == 1);
  expect_report(f.http, f.admin, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 2, 0, 1, 2, 1, 0, 300)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 2, 2, 0, 1, 0)}});

  // RFC 3339 bounds count by their UTC date.
  auto same = ok_json(f.http, f.m, "GET",
                      "/api/reports/sales-summary?from=2024-12-31T23:30:00-01:00&to=2025-03-31T23:59:59Z");
  CHECK(text_of(same, "from") == "2025-01-01");
  CHECK(text_of(same, "to") == "2025-03-31");

  // The default: the last 30 days, today included.
  const auto now = std::chrono::system_clock::now();
  auto recent = ok_json(f.http, f.m, "GET", "/api/reports/sales-summary");
  CHECK(text_of(recent, "to") == utc_date(now));
  CHECK(text_of(recent, "from") == utc_date(now - 24h * 29));
  expect_report(f.http, f.m, "", "user",
                {{f.s1.id, figures(1, 1, 0, 1, 1, 0, 0, 0, 0)},
                 {f.s2.id, figures(2, 2, 0, 1, 0, 0, 0, 0, 0)},
                 {f.m.id, zero}});
  auto months = report(f.http, f.m, "?groupBy=month", "month");
  REQUIRE(!months.empty());
  CHECK(months.rbegin()->first == utc_date(now).substr(0, 7));
  CHECK(months.rbegin()->second.customers == 3);
  long long new_customers = 0, completed = 0;
  for (const auto& [month, figures] : months) new_customers += figures.new_customers, completed += figures.tasks_completed;
  CHECK(new_customers == 3);
  CHECK(completed == 2);
}

TEST_CASE("the pipeline and the dashboard match the fixture", "[analytics][reports]") {
  Fixture f;
  // Everything has arrived once the quarter's figures are complete.
  expect_report(f.http, f.admin, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 2, 0, 1, 2, 1, 0, 300)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 2, 2, 0, 1, 0)}});

  auto pipeline = [&](const Account& who) {
    std::map<std::string, std::pair<long long, double>> out; // "STATUS CUR" -> count, amount
    for (const auto& item : items_of(ok_json(f.http, who, "GET", "/api/reports/pipeline")))
      out[text_of(item, "status") + " " + text_of(item, "currency")] = {number_of(item, "count"),
                                                                       amount_of(item, "amount")};
    return out;
  };
  using Row = std::pair<long long, double>;
  CHECK(pipeline(f.m) == std::map<std::string, Row>{{"PENDING EUR", {1, 500}},
                                                    {"APPROVED EUR", {1, 1000}},
                                                    {"REJECTED EUR", {1, 250}},
                                                    {"CANCELLED EUR", {1, 50}}});
  CHECK(pipeline(f.admin) == std::map<std::string, Row>{{"PENDING EUR", {1, 500}},
                                                        {"APPROVED EUR", {1, 1000}},
                                                        {"APPROVED USD", {1, 300}},
                                                        {"REJECTED EUR", {1, 250}},
                                                        {"CANCELLED EUR", {1, 50}}});

  auto dashboard = [&](const Account& who) { return ok_json(f.http, who, "GET", "/api/dashboard"); };
  // Today's figures: wait for the one event the quarter does not show (the
  // meeting in two days).
  REQUIRE(eventually([&] { return number_of(dashboard(f.s1), "upcomingMeetings") == 1; }, 20s));
  auto s1 = dashboard(f.s1);
  CHECK(number_of(s1, "customersOwned") == 1);
  CHECK(number_of(s1, "newCustomersThisMonth") == 1);
  CHECK(number_of(s1, "openTasks") == 4);
  CHECK(number_of(s1, "overdueTasks") == 3);
  CHECK(number_of(s1, "approvalsAwaitingMyDecision") == 0);
  CHECK(number_of(s1, "myPendingRequests") == 0);
  auto s2 = dashboard(f.s2);
  CHECK(number_of(s2, "customersOwned") == 2);
  CHECK(number_of(s2, "newCustomersThisMonth") == 2);
  CHECK(number_of(s2, "openTasks") == 1);
  CHECK(number_of(s2, "overdueTasks") == 1);
  CHECK(number_of(s2, "upcomingMeetings") == 0);
  CHECK(number_of(s2, "myPendingRequests") == 1);
  auto m = dashboard(f.m);
  CHECK(number_of(m, "approvalsAwaitingMyDecision") == 1);
  CHECK(number_of(m, "customersOwned") == 0);
}

TEST_CASE("reports refuse SALES users and bad periods name the field", "[analytics][reports]") {
  AuthHost auth(analytics_options());
  Http& http = auth.host().http();
  Account manager = auth.create_user("MANAGER");
  Account sales = auth.create_user("SALES", manager.id);

  require_problem(as(http, sales, "GET", "/api/reports/sales-summary"), 403);
  require_problem(as(http, sales, "GET", "/api/reports/pipeline"), 403);
  require_problem(http.get("/api/reports/sales-summary"), 401);
  CHECK(as(http, sales, "GET", "/api/dashboard").status == 200);

  auto field_of = [&](const std::string& query) {
    auto problem = require_problem(as(http, manager, "GET", "/api/reports/sales-summary" + query), 422);
    return error_fields(problem);
  };
  using Fields = std::vector<std::string>;
  CHECK(field_of("?from=2025-13-01") == Fields{"from"});
  CHECK(field_of("?from=2025-02-30") == Fields{"from"});
  CHECK(field_of("?to=yesterday") == Fields{"to"});
  CHECK(field_of("?to=2025-01-01T25:00:00Z") == Fields{"to"});
  CHECK(field_of("?from=2025-03-01&to=2025-02-01") == Fields{"from"});
  CHECK(field_of("?from=2000-01-01&to=2025-01-01") == Fields{"to"});
  CHECK(field_of("?groupBy=week") == Fields{"groupBy"});

  // The same rules, and an empty team's zeros, for a valid period.
  auto empty = ok_json(http, manager, "GET", "/api/reports/sales-summary?from=2025-01-01&to=2025-01-31&groupBy=month");
  auto items = items_of(empty);
  REQUIRE(items.size() == 1);
  CHECK(text_of(items[0], "month") == "2025-01");
  CHECK(figures_of(items[0]) == Figures{});

  // A pipeline without approvals: every status, with zeros.
  auto pipeline = items_of(ok_json(http, manager, "GET", "/api/reports/pipeline"));
  REQUIRE(pipeline.size() == 4);
  std::vector<std::string> statuses;
  for (const auto& row : pipeline) {
    statuses.push_back(text_of(row, "status"));
    CHECK(number_of(row, "count") == 0);
    CHECK(amount_of(row, "amount") == 0.0);
    CHECK(row->isNull("currency"));
  }
  CHECK(statuses == std::vector<std::string>{"PENDING", "APPROVED", "REJECTED", "CANCELLED"});
}
