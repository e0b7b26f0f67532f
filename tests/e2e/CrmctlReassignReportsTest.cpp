// crmctl reassign against the host's saga API serving the shipped
// workflows/reassignment.lua, and crmctl reports against the analytics
// plugin's endpoints.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;


TEST_CASE("reassign counts with a dry run, then moves the records and follows the saga to its end",
          "[crmctl][reassign]") {
  CrmctlHost h;
  h.login_admin();
  REQUIRE(h.has_route("POST", "/api/sagas/reassignment"));

  Account manager = h.auth().create_user_only("MANAGER");
  Account ann = h.auth().create_user("SALES", manager.id);
  Account bob = h.auth().create_user_only("SALES", manager.id);
  for (const char* name : {"Ada Lovelace", "Charles Babbage"}) {
    auto c = h.as(ann.access_token, "POST", "/api/customers", std::string(R"({"name":")") + name + R"("})");
    INFO(c.body);
    REQUIRE(c.status == 201);
  }

  auto dry = json_object(h.ok({"reassign", "--from", ann.email, "--to", bob.email, "--dry-run", "-o", "json"}).out);
  auto counts = dry->has("counts") ? dry->getObject("counts") : dry;
  CHECK(counts->getValue<int>("customers") == 2);
  auto table = h.ok({"reassign", "--from", ann.email, "--to", bob.email, "--dry-run"});
  auto lines = lines_of(table.out);
  REQUIRE(!lines.empty());
  CHECK(starts_with(lines[0], "KIND"));
  CHECK(std::find(lines.begin(), lines.end(), "customers  2") != lines.end());
  CHECK(std::find(lines.begin(), lines.end(), "approvals  0") != lines.end());
  CHECK(table.err == "dry run: nothing was changed\n");
  auto csv = lines_of(h.ok({"reassign", "--from", ann.email, "--to", bob.email, "--dry-run", "-o", "csv"}).out);
  CHECK(csv[0] == "kind,count");
  CHECK(std::find(csv.begin(), csv.end(), "customers,2") != csv.end());
  // Nothing moved.
  CHECK(h.as(ann.access_token, "GET", "/api/customers").json()->getArray("items")->size() == 2);

  auto same = h.run({"reassign", "--from", ann.email, "--to", ann.id});
  INFO(describe({"reassign", "--from", ann.email, "--to", ann.id}, same));
  CHECK(same.exit_code == 2);
  CHECK(contains(same.err, "(422)"));
  CHECK(contains(same.err, "\n  toUserId: "));

  auto run = h.run({"reassign", "--from", ann.email, "--to", bob.id, "--wait"});
  INFO(describe({"reassign", "--wait"}, run));
  CHECK(run.exit_code == 0);
  CHECK(starts_with(run.out, "reassignment "));
  CHECK(contains(run.out, " COMPLETED after "));
  auto progress = lines_of(run.err);
  REQUIRE(!progress.empty());
  CHECK(starts_with(progress[0], "reassignment "));
  CHECK(contains(progress[0], " started"));
  bool customers_step = false;
  for (const auto& line : progress) customers_step = customers_step || starts_with(line, "  customers");
  CHECK(customers_step);
  auto moved = h.as(h.auth().admin().access_token, "GET", "/api/customers?ownerId=" + bob.id);
  CHECK(moved.json()->getArray("items")->size() == 2);

  // Without --wait: the instance id alone, for scripts.
  auto started = h.ok({"reassign", "--from", bob.email, "--to", ann.email});
  CHECK(started.out.size() == 37);
  const std::string id = started.out.substr(0, 36);
  auto watched = h.ok({"sagas", "watch", id});
  CHECK(starts_with(watched.out, "reassignment " + id + " COMPLETED after "));
}

TEST_CASE("reports come as a table for people, JSON for scripts and CSV for spreadsheets", "[crmctl][reports]") {
  CrmctlHost h;
  REQUIRE(h.has_route("GET", "/api/reports/sales-summary"));
  h.login_admin();
  Account sales = h.auth().create_user("SALES");
  for (const char* name : {"Ada Lovelace", "Charles Babbage", "Grace Hopper"}) {
    auto c = h.as(sales.access_token, "POST", "/api/customers", std::string(R"({"name":")") + name + R"("})");
    INFO(c.body);
    REQUIRE(c.status == 201);
  }

  // The read-models follow the events: the three customers show up shortly.
  std::string last;
  const bool counted = eventually(
      [&] {
        auto r = h.run({"reports", "sales-summary", "--group-by", "user", "-o", "json"});
        last = describe({"reports", "sales-summary"}, r);
        if (r.exit_code != 0) return false;
        auto answer = json_object(r.out);
        auto items = answer->getArray("items");
        for (size_t i = 0; items && i < items->size(); ++i) {
          auto row = items->getObject(static_cast<unsigned>(i));
          if (text_of(row, "user") == sales.id) return row->getValue<int>("newCustomers") == 3;
        }
        return false;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250));
  INFO(last);
  REQUIRE(counted);

  auto csv = lines_of(h.ok({"reports", "sales-summary", "--group-by", "user", "-o", "csv"}).out);
  REQUIRE(csv.size() >= 2);
  CHECK(starts_with(csv[0], "user,userName,customers,newCustomers,meetings,tasksCompleted,tasksOverdue,"
                            "approvalsRequested,approvalsApproved,approvalsRejected,approvedAmount"));
  bool row = false;
  for (const auto& line : csv) row = row || starts_with(line, sales.id + ",");
  CHECK(row);

  auto table = h.ok({"reports", "sales-summary", "--from", "2026-01-01", "--to", "2026-01-31", "--group-by", "month"});
  CHECK(table.err == "period 2026-01-01 to 2026-01-31, by month\n");
  CHECK((table.out.empty() || starts_with(table.out, "MONTH")));

  auto pipeline = lines_of(h.ok({"reports", "pipeline", "-o", "csv"}).out);
  REQUIRE(!pipeline.empty());
  CHECK(pipeline[0] == "status,currency,count,amount");

  h.login(sales.email, sales.password); // the dashboard is the caller's own
  auto dashboard = json_object(h.ok({"reports", "dashboard", "-o", "json"}).out);
  CHECK(dashboard->getValue<int>("customersOwned") == 3);
  auto fields = lines_of(h.ok({"reports", "dashboard"}).out);
  REQUIRE(!fields.empty());
  CHECK(starts_with(fields[0], "FIELD"));
  CHECK(std::find_if(fields.begin(), fields.end(), [](const std::string& l) {
          return starts_with(l, "customersOwned") && l.substr(l.size() - 2) == " 3";
        }) != fields.end());

  auto refused = h.run({"reports", "pipeline"}); // a SALES user may not
  CHECK(refused.exit_code == 2);
  CHECK(starts_with(refused.err, "crmctl: Forbidden (403)"));
}
