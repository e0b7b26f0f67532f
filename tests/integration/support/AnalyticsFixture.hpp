// AnalyticsFixture: the data set the analytics report and rebuild tests
// share, with every figure worked out by hand below, and the calls that read
// the reports back. Customers, meetings and tasks are made through the REST
// API with known dates; approvals are the opportunity plugin's events,
// written into the platform outbox (that plugin is not in this build); all
// of it reaches the read-models through the real events.
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
// 2025-01-15 .. 2025-03-10 (part months), as M:
//   S1: meetings 3, overdue 0, requested 3, approved 1, rejected 1, 1000
//   S2: meetings 1, overdue 1; per month: 01 meetings 1; 02 meetings 2,
//   overdue 1, requested 1, approved 1, 1000; 03 meetings 1, requested 2,
//   rejected 1
// The last 30 days (the default), as M: S1 customers 1, new 1, completed 1,
// overdue 1 (due a minute ago); S2 customers 2, new 2, completed 1.
#pragma once

#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <ostream>
#include <string>
#include <typeinfo>
#include <vector>

namespace itest {

struct Figures {
  long long customers = 0, new_customers = 0, meetings = 0, tasks_completed = 0, tasks_overdue = 0,
            approvals_requested = 0, approvals_approved = 0, approvals_rejected = 0;
  double approved_amount = 0;
  bool operator==(const Figures&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const Figures& f) {
  return out << "{customers " << f.customers << ", new " << f.new_customers << ", meetings " << f.meetings
             << ", completed " << f.tasks_completed << ", overdue " << f.tasks_overdue << ", requested "
             << f.approvals_requested << ", approved " << f.approvals_approved << ", rejected " << f.approvals_rejected
             << ", amount " << f.approved_amount << "}";
}

inline Figures figures_of(const Poco::JSON::Object::Ptr& item) {
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
inline std::map<std::string, Figures> report(Http& http, const Account& who, const std::string& query,
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
inline void expect_report(Http& http, const Account& who, const std::string& query, const std::string& key,
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

inline Figures figures(long long customers, long long new_customers, long long meetings, long long completed,
                       long long overdue, long long requested, long long approved, long long rejected, double amount) {
  return Figures{customers, new_customers, meetings, completed, overdue, requested, approved, rejected, amount};
}

inline std::string approval_json(const std::string& id, const Account& requester, const std::string& status,
                                 const std::string& amount, const std::string& currency, const std::string& created,
                                 const std::string& decided, const std::string& approver) {
  return "{\"id\":\"" + id + "\",\"customerId\":\"" + random_uuid() + "\",\"requesterId\":\"" + requester.id +
         "\",\"title\":\"Deal " + id.substr(0, 4) + "\",\"amount\":" + amount + ",\"currency\":\"" + currency +
         "\",\"description\":null,\"status\":\"" + status + "\",\"level\":1,\"requiredLevels\":1," +
         "\"currentApproverId\":" + (approver.empty() ? "null" : "\"" + approver + "\"") + ",\"createdAt\":\"" +
         created + "\",\"decidedAt\":" + (decided.empty() ? "null" : "\"" + decided + "\"") + "}";
}

struct AnalyticsFixture {
  AuthHost auth;
  Http& http = auth.host().http();
  Sql sql = auth.host().sql();
  Account admin = auth.admin();
  Account m = auth.create_user("MANAGER");
  Account s1 = auth.create_user("SALES", m.id);
  Account s2 = auth.create_user("SALES", m.id);
  Account s3 = auth.create_user("SALES");

  explicit AnalyticsFixture(const AuthHostOptions& options = analytics_options()) : auth(options) {
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
      return text_of(
          ok_json(http, who, "POST", "/api/tasks", "{\"title\":\"Follow up\",\"dueAt\":\"" + due + "\"}", 201), "id");
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
        publish_event(sql, type, id,
                      approval_json(id, requester, final_status, amount, currency, created, decided, ""));
      }
    };
    approval(s1, "1000", "EUR", "2025-02-03T10:00:00.000Z", "APPROVED", "2025-02-04T10:00:00.000Z");
    approval(s1, "250", "EUR", "2025-03-01T10:00:00.000Z", "REJECTED", "2025-03-02T10:00:00.000Z");
    approval(s2, "500", "EUR", "2025-01-05T10:00:00.000Z", "PENDING", "", m.id);
    approval(s3, "300", "USD", "2025-01-07T10:00:00.000Z", "APPROVED", "2025-01-09T10:00:00.000Z");
    approval(s1, "50", "EUR", "2025-03-10T10:00:00.000Z", "CANCELLED", "2025-03-11T10:00:00.000Z");
  }
};

inline constexpr const char* kQuarter = "?from=2025-01-01&to=2025-03-31";

} // namespace itest
