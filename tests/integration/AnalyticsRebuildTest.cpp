// Rebuilding the analytics read-models from the event stream
// (POST /api/plugins/analytics/rebuild): after the reset and the replay, every
// report answers exactly what it answered before, whatever had happened to
// the read-models; notifications are neither lost nor sent again; events that
// arrive while the rebuild runs are counted once.
#include "support/AnalyticsFixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// Every report the fixture's users can read, as the text the API answers.
std::vector<std::string> all_reports(AnalyticsFixture& f) {
  std::vector<std::string> out;
  auto read = [&](const Account& who, const std::string& path) {
    auto r = as(f.http, who, "GET", path);
    INFO("GET " << path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    out.push_back(who.role + " " + path + " -> " + r.body);
  };
  for (const Account* who : {&f.admin, &f.m}) {
    for (const char* group : {"user", "month"}) {
      read(*who, std::string("/api/reports/sales-summary") + kQuarter + "&groupBy=" + group);
      read(*who, std::string("/api/reports/sales-summary?groupBy=") + group);
    }
    read(*who, "/api/reports/pipeline");
  }
  for (const Account* who : {&f.m, &f.s1, &f.s2, &f.s3}) read(*who, "/api/dashboard");
  return out;
}

Poco::JSON::Object::Ptr rebuild(AnalyticsFixture& f) {
  auto started = as(f.http, f.admin, "POST", "/api/plugins/analytics/rebuild");
  INFO(started.body);
  REQUIRE(started.status == 202);
  Poco::JSON::Object::Ptr status;
  const bool finished = eventually(
      [&] {
        status = ok_json(f.http, f.admin, "GET", "/api/plugins/analytics/rebuild");
        return text_of(status, "status") != "running";
      },
      60s, 200ms);
  INFO(json_of(*status));
  REQUIRE(finished);
  CHECK(text_of(status, "status") == "done");
  CHECK(number_of(status, "failed") == 0);
  CHECK(number_of(status, "events") > 0);
  return status;
}

} // namespace

TEST_CASE("a rebuilt read-model gives the same reports and sends no notification again", "[analytics][rebuild]") {
  // No due-soon scan on its own: the notifications change only when the test says.
  auto options = analytics_options();
  options.env["CRM_SCHEDULES_ENABLED"] = "false";
  AnalyticsFixture f(options);
  REQUIRE(f.auth.call("POST", "/api/tasks/scan-due", "", f.admin.access_token).status == 200);
  // Everything has arrived once the quarter is complete for everyone and
  // today's dashboards are too.
  expect_report(f.http, f.admin, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 2, 0, 1, 2, 1, 0, 300)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 2, 2, 0, 1, 0)}});
  REQUIRE(eventually([&] { return number_of(ok_json(f.http, f.s1, "GET", "/api/dashboard"), "upcomingMeetings") == 1; },
                     20s));
  REQUIRE(eventually([&] { return number_of(ok_json(f.http, f.s2, "GET", "/api/dashboard"), "customersOwned") == 2; },
                     20s));
  // Everyone has been told: one notification per due-soon alert (the
  // fixture's open tasks, due or overdue) and per decided approval.
  const long long alerts =
      f.sql.count("select count(*) from sales.crm_outbox where type = 'task.due_soon'") +
      f.sql.count("select count(*) from platform.crm_outbox where type in ('approval.approved', 'approval.rejected')");
  REQUIRE(alerts == 6 + 3);
  long long told = 0;
  const bool all_told =
      eventually([&] { return (told = f.sql.count("select count(*) from analytics.notifications")) == alerts; }, 20s);
  INFO(told << " notifications for " << alerts << " events that tell someone");
  REQUIRE(all_told);
  // The pipeline has the last approval event too: the cancellation, which
  // neither the monthly figures nor the notifications wait for.
  REQUIRE(eventually(
      [&] {
        for (const auto& item : items_of(ok_json(f.http, f.admin, "GET", "/api/reports/pipeline")))
          if (text_of(item, "status") == "CANCELLED") return number_of(item, "count") == 1;
        return false;
      },
      20s));
  auto first = items_of(ok_json(f.http, f.s1, "GET", "/api/notifications"));
  REQUIRE(!first.empty());
  ok_json(f.http, f.s1, "PATCH", "/api/notifications/" + text_of(first[0], "id") + "/read");
  const auto before = all_reports(f);

  // The read-models drift: rows lost, figures wrong.
  f.sql.exec("delete from analytics.meetings where scheduled_at < '2025-02-15'");
  f.sql.exec("delete from analytics.customers where owner_id = '" + f.s2.id + "'");
  f.sql.exec("update analytics.daily_user_stats set tasks_open_due = tasks_open_due + 7");
  f.sql.exec("delete from analytics.approval_totals where status = 'APPROVED'");
  CHECK(all_reports(f) != before);

  rebuild(f);
  const auto after = all_reports(f);
  for (size_t i = 0; i < before.size(); ++i) CHECK(after.at(i) == before.at(i));
  CHECK(f.sql.count("select count(*) from analytics.notifications") == alerts);
  CHECK(f.sql.count("select count(*) from analytics.crm_outbox where type = 'notification.created'") == alerts);
  CHECK(f.sql.count("select count(*) from analytics.notifications where read_at is not null") == 1);

  // Live events while a rebuild runs count once, whichever comes first.
  auto started = as(f.http, f.admin, "POST", "/api/plugins/analytics/rebuild");
  REQUIRE(started.status == 202);
  const std::string late =
      text_of(ok_json(f.http, f.s3, "POST", "/api/customers", R"({"name":"During the rebuild"})", 201), "id");
  REQUIRE(eventually(
      [&] { return text_of(ok_json(f.http, f.admin, "GET", "/api/plugins/analytics/rebuild"), "status") != "running"; },
      60s, 200ms));
  REQUIRE(eventually([&] { return number_of(ok_json(f.http, f.s3, "GET", "/api/dashboard"), "customersOwned") == 3; },
                     20s));
  auto event =
      f.sql.scalar("select id::text from customer.crm_outbox where type = 'customer.created' and subject = $1", {late});
  REQUIRE(event);
  wait_for_inbox(f.sql, "analytics", *event, "analytics__project_customer_created");
  const std::string today = utc_date(std::chrono::system_clock::now());
  auto mine = report(f.http, f.admin, "?from=" + today + "&to=" + today, "user");
  REQUIRE(mine.count(f.s3.id) == 1);
  CHECK(mine.at(f.s3.id).customers == 3);
  CHECK(mine.at(f.s3.id).new_customers == 3);
  CHECK(f.sql.count("select count(*) from analytics.notifications") == alerts);
}
