// Notifications and reports for approvals made the real way: the opportunity
// plugin and the shipped deal_approval workflow (its decision timeout cut to
// four seconds), the approver reached on its live stream, an escalation
// told as such, the requester told the decision, the reports counting it.
#include "support/AnalyticsHost.hpp"
#include "support/StreamClient.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

std::string deal_approval_with_timeout(const std::string& timeout) {
  std::ifstream in(fs::path(CRM_SOURCE_DIR) / "workflows" / "deal_approval.lua");
  std::stringstream text;
  text << in.rdbuf();
  std::string source = text.str();
  const std::string from = "DECISION_TIMEOUT = \"48h\"";
  const auto at = source.find(from);
  REQUIRE(at != std::string::npos);
  return source.replace(at, from.size(), "DECISION_TIMEOUT = \"" + timeout + "\"");
}

// The next pushed notification for `resource` of `kind` on the stream.
Poco::JSON::Object::Ptr pushed(StreamClient& stream, const std::string& kind, const std::string& resource) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = stream.next(1s);
    if (!frame || (*frame)->optValue<std::string>("type", "") != "notification.created") continue;
    auto data = (*frame)->getObject("data");
    if (data && text_of(data, "kind") == kind && text_of(data, "resourceId") == resource) return data;
  }
  FAIL("no " << kind << " for " << resource << " was pushed within 20 s");
  return nullptr;
}

std::vector<Poco::JSON::Object::Ptr> notifications(Http& http, const Account& who, const std::string& kind) {
  std::vector<Poco::JSON::Object::Ptr> out;
  for (const auto& n : items_of(ok_json(http, who, "GET", "/api/notifications?limit=200")))
    if (text_of(n, "kind") == kind) out.push_back(n);
  return out;
}

} // namespace

TEST_CASE("a real approval tells its approver live, an escalation as such, and the requester the decision",
          "[analytics][approvals]") {
  AuthHost auth(analytics_options({{"deal_approval.lua", deal_approval_with_timeout("4s")}}, {"opportunity"}));
  Http& http = auth.host().http();
  auto sql = auth.host().sql();
  Account top = auth.create_user("MANAGER");
  Account manager = auth.create_user("MANAGER", top.id);
  Account seller = auth.create_user("SALES", manager.id);
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/deal_approval", auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      15s));
  const std::string customer =
      text_of(ok_json(http, seller, "POST", "/api/customers", R"({"name":"Big Buyer"})", 201), "id");

  StreamClient manager_stream(auth.host().port(), manager.access_token);
  REQUIRE(manager_stream.ready());
  StreamClient top_stream(auth.host().port(), top.access_token);
  REQUIRE(top_stream.ready());

  // Requested: the workflow gives it to the seller's manager, who sees it
  // arrive on its stream, in exactly the shape of the list.
  auto first = ok_json(http, seller, "POST", "/api/approvals",
                       "{\"customerId\":\"" + customer + "\",\"title\":\"Fleet deal\",\"amount\":5000}", 201);
  const std::string id = text_of(first, "id");
  const std::string currency = text_of(first, "currency");
  auto assigned = pushed(manager_stream, "APPROVAL_ASSIGNED", id);
  CHECK(text_of(assigned, "title") == "Approval needed: Fleet deal");
  CHECK(text_of(assigned, "userId") == manager.id);
  CHECK(text_of(assigned, "resourceType") == "approval");
  auto listed = notifications(http, manager, "APPROVAL_ASSIGNED");
  REQUIRE(listed.size() == 1);
  CHECK(json_of(*listed[0]) == json_of(*assigned));

  // Nobody decides for four seconds: the manager's manager gets it, told so.
  auto escalated = pushed(top_stream, "APPROVAL_ESCALATED", id);
  CHECK(text_of(escalated, "title") == "Approval needed: Fleet deal");
  CHECK(contains(text_of(escalated, "body"), "Escalated"));

  ok_json(http, top, "PATCH", "/api/approvals/" + id + "/approve", R"({"comment":"go ahead"})");
  REQUIRE(eventually([&] { return notifications(http, seller, "APPROVAL_APPROVED").size() == 1; }, 20s));
  auto approved = notifications(http, seller, "APPROVAL_APPROVED")[0];
  CHECK(text_of(approved, "title") == "Approved: Fleet deal");
  CHECK(text_of(approved, "resourceId") == id);
  CHECK(contains(text_of(approved, "body"), "go ahead"));

  // A second request, rejected (by the ADMIN, whoever holds it by then).
  const std::string second =
      text_of(ok_json(http, seller, "POST", "/api/approvals",
                      "{\"customerId\":\"" + customer + "\",\"title\":\"Small deal\",\"amount\":200}", 201),
              "id");
  pushed(manager_stream, "APPROVAL_ASSIGNED", second);
  ok_json(http, auth.admin(), "PATCH", "/api/approvals/" + second + "/reject", R"({"comment":"not this quarter"})");
  REQUIRE(eventually([&] { return notifications(http, seller, "APPROVAL_REJECTED").size() == 1; }, 20s));
  CHECK(contains(text_of(notifications(http, seller, "APPROVAL_REJECTED")[0], "body"), "not this quarter"));

  // Once each, however the events went.
  auto decided = sql.scalar("select id::text from opportunity.crm_outbox where type = 'approval.rejected'");
  REQUIRE(decided);
  wait_for_inbox(sql, "analytics", *decided, "analytics__notify_approval_rejected");
  wait_for_inbox(sql, "analytics", *decided, "analytics__project_approval_rejected");
  CHECK(notifications(http, manager, "APPROVAL_ASSIGNED").size() == 2);
  CHECK(notifications(http, top, "APPROVAL_ESCALATED").size() >= 1);
  CHECK(notifications(http, seller, "APPROVAL_APPROVED").size() == 1);
  CHECK(sql.count("select count(*) from (select event_id, user_id from analytics.notifications "
                  "group by 1, 2 having count(*) > 1) repeats") == 0);

  // The reports count both requests and their decisions.
  const std::string today = utc_date(std::chrono::system_clock::now());
  Poco::JSON::Object::Ptr mine;
  REQUIRE(eventually(
      [&] {
        for (const auto& item :
             items_of(ok_json(http, top, "GET", "/api/reports/sales-summary?from=" + today + "&to=" + today)))
          if (text_of(item, "user") == seller.id) mine = item;
        return mine && number_of(mine, "approvalsRejected") == 1;
      },
      20s));
  CHECK(number_of(mine, "approvalsRequested") == 2);
  CHECK(number_of(mine, "approvalsApproved") == 1);
  CHECK(amount_of(mine, "approvedAmount") == 5000.0);
  std::set<std::string> pipeline;
  for (const auto& row : items_of(ok_json(http, manager, "GET", "/api/reports/pipeline")))
    if (number_of(row, "count") > 0)
      pipeline.insert(text_of(row, "status") + " " + text_of(row, "currency") + " " +
                      std::to_string(number_of(row, "count")) + " " + std::to_string(amount_of(row, "amount")));
  CHECK(pipeline == std::set<std::string>{"APPROVED " + currency + " 1 " + std::to_string(5000.0),
                                          "REJECTED " + currency + " 1 " + std::to_string(200.0)});
  CHECK(number_of(ok_json(http, seller, "GET", "/api/dashboard"), "myPendingRequests") == 0);
}
