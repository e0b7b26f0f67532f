// The analytics plugin's reports on a running host against the fixture of
// support/AnalyticsFixture.hpp (its comment has the hand-computed figures):
// the sales summary per user and per month, team by team, also as CSV; the
// pipeline and the dashboard; SALES refused, bad periods named by field.
#include "support/AnalyticsFixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("the sales summary matches the hand-computed fixture, per user and per month, team by team",
          "[analytics][reports]") {
  AnalyticsFixture f;
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
    if (text_of(item, "user") == f.s1.id)
      CHECK(text_of(item, "userName") == "User " + f.s1.email.substr(0, f.s1.email.find('@')));

  // The same report as CSV (the host renders a reply of flat items): a header
  // of the items' keys, then one line per item.
  auto csv = f.http.request("GET", std::string("/api/reports/sales-summary") + kQuarter, "",
                            {{"Authorization", bearer(f.m.access_token)}, {"Accept", "text/csv"}});
  INFO(csv.body);
  REQUIRE(csv.status == 200);
  CHECK(starts_with(csv.content_type(), "text/csv"));
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(csv.body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::istringstream cells_in(line);
    for (std::string cell; std::getline(cells_in, cell, ',');) cells.push_back(cell);
    lines.push_back(cells);
  }
  REQUIRE(lines.size() == 4); // the header and M, S1, S2
  std::map<std::string, size_t> column;
  for (size_t c = 0; c < lines[0].size(); ++c) column[lines[0][c]] = c;
  for (const char* key : {"user", "userName", "customers", "newCustomers", "meetings", "tasksCompleted", "tasksOverdue",
                          "approvalsRequested", "approvalsApproved", "approvalsRejected", "approvedAmount"})
    CHECK(column.count(key) == 1);
  bool s1_seen = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    REQUIRE(lines[i].size() == lines[0].size());
    if (lines[i][column["user"]] != f.s1.id) continue;
    s1_seen = true;
    CHECK(lines[i][column["meetings"]] == "3");
    CHECK(lines[i][column["tasksOverdue"]] == "2");
    CHECK(lines[i][column["approvedAmount"]] == "1000");
  }
  CHECK(s1_seen);

  expect_report(f.http, f.m, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 1, 0, 1, 1, 0, 0, 0)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 1, 2, 0, 1, 0)}});

  // A period of part months (whole months come from the monthly rollup, the
  // days around them from the daily one): 2025-01-15 .. 2025-03-10.
  const std::string part = "?from=2025-01-15&to=2025-03-10";
  expect_report(f.http, f.m, part, "user",
                {{f.s1.id, figures(0, 0, 3, 0, 0, 3, 1, 1, 1000)},
                 {f.s2.id, figures(0, 0, 1, 0, 1, 0, 0, 0, 0)},
                 {f.m.id, zero}});
  expect_report(f.http, f.m, part + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 1, 0, 0, 0, 0, 0, 0)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 0, 2, 0, 1, 0)}});

  // The ADMIN sees everyone: S3 too, and the month totals grow by S3's share.
  // S3's events are outside everything waited for so far: poll until they are in.
  std::map<std::string, Figures> all;
  eventually(
      [&] {
        all = report(f.http, f.admin, kQuarter, "user");
        return all.count(f.s3.id) == 1 && all.at(f.s3.id) == figures(0, 0, 1, 0, 1, 1, 1, 0, 300);
      },
      30s, 200ms);
  REQUIRE(all.count(f.s3.id) == 1);
  CHECK(all.at(f.s3.id) == figures(0, 0, 1, 0, 1, 1, 1, 0, 300));
  CHECK(all.at(f.s1.id) == figures(0, 0, 3, 0, 2, 3, 1, 1, 1000));
  CHECK(all.count(f.m.id) == 1);
  expect_report(f.http, f.admin, std::string(kQuarter) + "&groupBy=month", "month",
                {{"2025-01", figures(0, 0, 2, 0, 1, 2, 1, 0, 300)},
                 {"2025-02", figures(0, 0, 2, 0, 1, 1, 1, 0, 1000)},
                 {"2025-03", figures(0, 0, 1, 0, 2, 2, 0, 1, 0)}});

  // RFC 3339 bounds count by their UTC date.
  auto same =
      ok_json(f.http, f.m, "GET", "/api/reports/sales-summary?from=2024-12-31T23:30:00-01:00&to=2025-03-31T23:59:59Z");
  CHECK(text_of(same, "from") == "2025-01-01");
  CHECK(text_of(same, "to") == "2025-03-31");

  // The default: the last 30 days, today included.
  const auto now = std::chrono::system_clock::now();
  auto recent = ok_json(f.http, f.m, "GET", "/api/reports/sales-summary");
  CHECK(text_of(recent, "to") == utc_date(now));
  CHECK(text_of(recent, "from") == utc_date(now - 24h * 29));
  expect_report(
      f.http, f.m, "", "user",
      {{f.s1.id, figures(1, 1, 0, 1, 1, 0, 0, 0, 0)}, {f.s2.id, figures(2, 2, 0, 1, 0, 0, 0, 0, 0)}, {f.m.id, zero}});
  auto months = report(f.http, f.m, "?groupBy=month", "month");
  REQUIRE(!months.empty());
  CHECK(months.rbegin()->first == utc_date(now).substr(0, 7));
  CHECK(months.rbegin()->second.customers == 3);
  long long new_customers = 0, completed = 0;
  for (const auto& [month, figures] : months)
    new_customers += figures.new_customers, completed += figures.tasks_completed;
  CHECK(new_customers == 3);
  CHECK(completed == 2);
}

TEST_CASE("the pipeline and the dashboard match the fixture", "[analytics][reports]") {
  AnalyticsFixture f;
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
