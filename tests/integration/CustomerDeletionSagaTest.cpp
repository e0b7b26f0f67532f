// The shipped customer_deletion saga (workflows/customer_deletion.lua, read
// from the source tree) on a running host with the shipped plugins and
// deal_approval.lua, driven through the REST API: deleting a customer
// cancels its pending approvals, deletes its future meetings and open tasks,
// archives its notifications and drops it from the read-models, and touches
// nothing else; a step that fails for good undoes the steps before it, and a
// retry after the fix completes the deletion.
#include "support/AnalyticsHost.hpp"
#include "support/ApprovalHost.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// One customer of the seller with one record of each kind the deletion is
// about, and the notifications they caused.
struct CustomerRecords {
  std::string customer;
  std::string approval;        // PENDING, routed to the seller's manager
  std::string future_meeting;  // in three days
  std::string past_meeting;    // three days ago: history
  std::string open_task;       // due within the hour
  std::string done_task;       // completed: history
  std::string approval_notice; // the manager's APPROVAL_ASSIGNED
  std::string task_notice;     // the seller's TASK_DUE_SOON
};

std::vector<std::string> strings_of(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  std::vector<std::string> out;
  REQUIRE(o);
  auto array = o->getArray(key);
  if (!array) return out; // an empty list comes back from Lua as {}
  for (size_t i = 0; i < array->size(); ++i) out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

// The instance's steps as "phase:name STATUS" lines of `run`, in order.
std::vector<std::string> steps_of(const Poco::JSON::Object::Ptr& instance, int run) {
  std::vector<std::string> out;
  auto steps = instance->getArray("steps");
  REQUIRE(steps);
  for (size_t i = 0; i < steps->size(); ++i) {
    auto s = steps->getObject(static_cast<unsigned>(i));
    if (s->getValue<int>("run") != run) continue;
    out.push_back(text_of(s, "phase") + ":" + text_of(s, "name") + " " + text_of(s, "status"));
  }
  return out;
}

// A JSON body without the fields a restore legitimately changes.
std::string without_updated_at(const std::string& body) {
  Poco::JSON::Parser parser;
  auto o = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  o->remove("updatedAt");
  return json_of(*o);
}

class DeletionHost {
public:
  DeletionHost()
      : auth_(analytics_options({{"deal_approval.lua", deal_approval_source()},
                                 {"customer_deletion.lua", shipped_workflow("customer_deletion.lua")}},
                                {"opportunity"})),
        http_(auth_.host().http()), sql_(auth_.host().sql()), manager_(auth_.create_user("MANAGER")),
        seller_(auth_.create_user("SALES", manager_.id)) {
    for (const char* name : {"deal_approval", "customer_deletion"}) {
      std::optional<Response> last;
      const bool live = eventually(
          [&] {
            last = auth_.get(std::string("/api/workflows/") + name, admin().access_token);
            return last->status == 200 && text_of(last->json(), "status") == "LIVE";
          },
          15s);
      INFO("GET /api/workflows/" << name << ": " << (last ? last->body : std::string("never")));
      REQUIRE(live);
    }
  }

  const Account& admin() const { return auth_.admin(); }
  const Account& manager() const { return manager_; }
  const Account& seller() const { return seller_; }
  Http& http() { return http_; }
  Sql& sql() { return sql_; }

  // A customer of the seller with a pending approval, meetings and tasks.
  CustomerRecords customer_with_records(const std::string& name) {
    CustomerRecords r;
    auto post = [&](const std::string& path, const std::string& body) {
      return text_of(ok_json(http_, seller_, "POST", path, body, 201), "id");
    };
    const auto now = std::chrono::system_clock::now();
    r.customer = post("/api/customers", "{\"name\":\"" + name + "\"}");
    r.approval = post("/api/approvals",
                      "{\"customerId\":\"" + r.customer + "\",\"title\":\"Deal with " + name + "\",\"amount\":5000}");
    auto meeting = [&](const std::string& title, std::chrono::system_clock::time_point at) {
      return post("/api/meetings", "{\"customerId\":\"" + r.customer + "\",\"title\":\"" + title +
                                       "\",\"scheduledAt\":\"" + utc_time(at) + "\"}");
    };
    r.future_meeting = meeting("Next review", now + 72h);
    r.past_meeting = meeting("First call", now - 72h);
    auto task = [&](const std::string& title, std::chrono::system_clock::time_point due) {
      return post("/api/tasks", "{\"customerId\":\"" + r.customer + "\",\"title\":\"" + title + "\",\"dueAt\":\"" +
                                    utc_time(due) + "\"}");
    };
    r.open_task = task("Send the offer", now + 1h);
    r.done_task = task("Collect documents", now + 120h);
    ok_json(http_, seller_, "POST", "/api/tasks/" + r.done_task + "/complete");
    return r;
  }

  // Waits until the workflow has routed each approval, the due-soon scan has
  // told the seller about each open task, and the read-models hold it all.
  void settle(std::vector<CustomerRecords*> customers) {
    for (auto* c : customers) {
      std::string approver;
      REQUIRE(eventually(
          [&] {
            approver = text_of(ok_json(http_, admin(), "GET", "/api/approvals/" + c->approval), "currentApproverId");
            return approver == manager_.id;
          },
          20s));
    }
    ok_json(http_, admin(), "POST", "/api/tasks/scan-due");
    for (auto* c : customers) {
      c->approval_notice = wait_for_notice(manager_, c->approval);
      c->task_notice = wait_for_notice(seller_, c->open_task);
      INFO("read-models of customer " << c->customer);
      REQUIRE(eventually(
          [&] {
            return read_model_has("customers", c->customer) && read_model_has("meetings", c->future_meeting) &&
                   read_model_has("meetings", c->past_meeting) && read_model_has("tasks", c->open_task) &&
                   sql_.count("select count(*) from analytics.tasks where id = $1::uuid and completed_at is not null",
                              {c->done_task}) == 1;
          },
          20s));
    }
  }

  // The id of `who`'s listed notification about `resource`, once there.
  std::string wait_for_notice(const Account& who, const std::string& resource) {
    std::string id;
    const bool told = eventually([&] { return !(id = listed_notice(who, resource)).empty(); }, 20s);
    INFO(who.role << " " << who.id << " should be told about " << resource);
    REQUIRE(told);
    return id;
  }
  std::string listed_notice(const Account& who, const std::string& resource) {
    for (const auto& n : items_of(ok_json(http_, who, "GET", "/api/notifications?limit=200")))
      if (text_of(n, "resourceId") == resource) return text_of(n, "id");
    return {};
  }

  bool read_model_has(const std::string& table, const std::string& id) {
    return sql_.count("select count(*) from analytics." + table + " where id = $1::uuid", {id}) == 1;
  }

  // Every record of the customer as an ADMIN reads it: path -> "status body".
  std::map<std::string, std::string> snapshot(const CustomerRecords& c) {
    std::map<std::string, std::string> out;
    for (const auto& path :
         {"/api/customers/" + c.customer, "/api/approvals/" + c.approval, "/api/meetings/" + c.future_meeting,
          "/api/meetings/" + c.past_meeting, "/api/tasks/" + c.open_task, "/api/tasks/" + c.done_task}) {
      auto r = as(http_, admin(), "GET", path);
      out[path] = std::to_string(r.status) + " " + r.body;
    }
    return out;
  }

  // The ids GET `path` lists (as the seller, who owns them all).
  std::set<std::string> listed(const std::string& path) {
    std::set<std::string> ids;
    for (const auto& item : items_of(ok_json(http_, seller_, "GET", path))) ids.insert(text_of(item, "id"));
    return ids;
  }

  int status_of(const std::string& path) { return as(http_, admin(), "GET", path).status; }

  // The only customer_deletion instance, once it has ended; requires it to
  // have ended `status`. Returns its detail (steps, results, error).
  Poco::JSON::Object::Ptr wait_for_deletion(const std::string& status) {
    std::string id, last = "none";
    const bool ended = eventually(
        [&] {
          auto items = items_of(ok_json(http_, admin(), "GET", "/api/workflow-instances?name=customer_deletion"));
          REQUIRE(items.size() <= 1);
          if (items.empty()) return false;
          id = text_of(items[0], "id");
          last = text_of(items[0], "status");
          return last != "RUNNING" && last != "WAITING";
        },
        30s);
    auto detail = ok_json(http_, admin(), "GET", "/api/workflow-instances/" + (id.empty() ? random_uuid() : id));
    INFO("customer_deletion " << id << " is " << last << ": " << json_of(*detail) << "\n"
                              << auth_.host().process().log_tail(30));
    REQUIRE(ended);
    REQUIRE(last == status);
    return detail;
  }

  // The deal_approval instances of `approval` as "STATUS state", oldest first.
  std::vector<std::string> approval_workflows(const std::string& approval) {
    std::vector<std::string> out;
    for (const auto& row : sql_.query("select status || ' ' || coalesce(state, '') from platform.workflow_instances "
                                      "where name = 'deal_approval' and vars ->> 'id' = $1 order by created_at, id",
                                      {approval}))
      out.push_back(*row[0]);
    return out;
  }

  // The approval's history as "ACTION level approverId" lines.
  std::vector<std::string> history_of(const std::string& approval) {
    return ApprovalHost::history_of(ok_json(http_, admin(), "GET", "/api/approvals/" + approval));
  }

  long long events(const std::string& schema, const std::string& type, const std::string& subject) {
    return sql_.count("select count(*) from " + schema + ".crm_outbox where type = $1 and subject = $2",
                      {type, subject});
  }

private:
  AuthHost auth_;
  Http& http_;
  Sql sql_;
  Account manager_, seller_;
};

// The customer's records as the deletion leaves them: pending and future
// ones gone, history kept, unchanged.
void check_deleted(DeletionHost& h, const CustomerRecords& c, const std::map<std::string, std::string>& before) {
  CHECK(h.status_of("/api/customers/" + c.customer) == 404);

  auto approval = ok_json(h.http(), h.admin(), "GET", "/api/approvals/" + c.approval);
  CHECK(text_of(approval, "status") == "CANCELLED");
  CHECK(text_of(approval, "currentApproverId").empty());
  CHECK(h.history_of(c.approval).back() == "CANCELLED 1 " + h.manager().id);

  CHECK(h.status_of("/api/meetings/" + c.future_meeting) == 404);
  CHECK(h.status_of("/api/tasks/" + c.open_task) == 404);
  CHECK(h.listed("/api/meetings?customerId=" + c.customer) == std::set<std::string>{c.past_meeting});
  CHECK(h.listed("/api/tasks?customerId=" + c.customer) == std::set<std::string>{c.done_task});
  const auto now = h.snapshot(c);
  for (const auto& path : {"/api/meetings/" + c.past_meeting, "/api/tasks/" + c.done_task}) {
    INFO(path);
    CHECK(now.at(path) == before.at(path));
  }

  CHECK(h.listed_notice(h.manager(), c.approval).empty());
  CHECK(h.listed_notice(h.seller(), c.open_task).empty());
  // Archived, not deleted.
  CHECK(h.sql().count("select count(*) from analytics.notifications where id = any ($1::uuid[]) and archived_at "
                      "is not null",
                      {"{" + c.approval_notice + "," + c.task_notice + "}"}) == 2);

  CHECK_FALSE(h.read_model_has("customers", c.customer));
  CHECK(h.read_model_has("dropped_customers", c.customer));
  CHECK_FALSE(h.read_model_has("meetings", c.future_meeting));
  CHECK_FALSE(h.read_model_has("tasks", c.open_task));
  CHECK(h.read_model_has("meetings", c.past_meeting));
  CHECK(h.read_model_has("tasks", c.done_task));
}

} // namespace

TEST_CASE("deleting a customer cancels its pending approvals, deletes its future meetings and open tasks, archives "
          "its notifications and drops it from the read-models - and touches nothing else",
          "[customer-deletion][saga]") {
  DeletionHost h;
  auto gone = h.customer_with_records("Gone Ltd");
  auto kept = h.customer_with_records("Kept Ltd");
  h.settle({&gone, &kept});
  const auto gone_before = h.snapshot(gone);
  const auto kept_before = h.snapshot(kept);

  auto deleted = as(h.http(), h.manager(), "DELETE", "/api/customers/" + gone.customer);
  INFO(deleted.body);
  REQUIRE(deleted.status == 202);
  auto done = h.wait_for_deletion("COMPLETED");

  // Each step once, and what each changed is exactly that customer's.
  CHECK(steps_of(done, 1) == std::vector<std::string>{"forward:approvals COMPLETED", "forward:activity COMPLETED",
                                                      "forward:notifications COMPLETED",
                                                      "forward:read_models COMPLETED"});
  auto results = done->getObject("vars")->getObject("results");
  CHECK(strings_of(results->getObject("approvals"), "cancelled") == std::vector<std::string>{gone.approval});
  CHECK(strings_of(results->getObject("activity"), "meetings") == std::vector<std::string>{gone.future_meeting});
  CHECK(strings_of(results->getObject("activity"), "tasks") == std::vector<std::string>{gone.open_task});
  auto archived = strings_of(results->getObject("notifications"), "ids");
  CHECK(std::set<std::string>(archived.begin(), archived.end()) ==
        std::set<std::string>{gone.approval_notice, gone.task_notice});
  auto dropped = results->getObject("read_models");
  CHECK(dropped->getValue<bool>("customer"));
  CHECK(dropped->getValue<int>("meetings") == 1);
  CHECK(dropped->getValue<int>("tasks") == 1);

  check_deleted(h, gone, gone_before);
  // The cancellation was announced once and ended the approval's workflow.
  CHECK(h.events("opportunity", "approval.cancelled", gone.approval) == 1);
  REQUIRE(eventually(
      [&] { return h.approval_workflows(gone.approval) == std::vector<std::string>{"COMPLETED finished"}; }, 20s));

  // The other customer of the same owner: every record as it was, to the byte.
  CHECK(h.snapshot(kept) == kept_before);
  CHECK(h.events("opportunity", "approval.cancelled", kept.approval) == 0);
  CHECK(h.approval_workflows(kept.approval) == std::vector<std::string>{"WAITING awaiting_decision"});
  CHECK(h.listed("/api/meetings?customerId=" + kept.customer) ==
        std::set<std::string>{kept.future_meeting, kept.past_meeting});
  CHECK(h.listed("/api/tasks?customerId=" + kept.customer) == std::set<std::string>{kept.open_task, kept.done_task});
  CHECK(h.listed_notice(h.manager(), kept.approval) == kept.approval_notice);
  CHECK(h.listed_notice(h.seller(), kept.open_task) == kept.task_notice);
  CHECK(h.read_model_has("customers", kept.customer));
  CHECK_FALSE(h.read_model_has("dropped_customers", kept.customer));
  for (const auto& id : {kept.future_meeting, kept.past_meeting}) CHECK(h.read_model_has("meetings", id));
  for (const auto& id : {kept.open_task, kept.done_task}) CHECK(h.read_model_has("tasks", id));
}

TEST_CASE("a customer deletion whose last step fails for good is undone - every record back where it was - and a "
          "retry after the fix completes it",
          "[customer-deletion][saga]") {
  DeletionHost h;
  auto c = h.customer_with_records("Stubborn Ltd");
  h.settle({&c});
  const auto before = h.snapshot(c);

  // The read-models refuse to drop the customer (as the crm user, a member of
  // the analytics plugin's role, which owns the table).
  h.sql().exec("create function analytics.refuse_for_the_test() returns trigger language plpgsql as $$ "
               "begin raise exception 'the read-models refuse to drop customers (test)'; end $$; "
               "create trigger refuse_for_the_test before insert on analytics.dropped_customers "
               "for each row execute function analytics.refuse_for_the_test()");
  auto deleted = as(h.http(), h.manager(), "DELETE", "/api/customers/" + c.customer);
  INFO(deleted.body);
  REQUIRE(deleted.status == 202);
  auto undone = h.wait_for_deletion("COMPENSATED");

  // Tried as often as the script says, then the steps done undone, last first.
  CHECK(steps_of(undone, 1) ==
        std::vector<std::string>{
            "forward:approvals COMPLETED", "forward:activity COMPLETED", "forward:notifications COMPLETED",
            "forward:read_models FAILED", "forward:read_models FAILED", "forward:read_models FAILED",
            "compensate:notifications COMPLETED", "compensate:activity COMPLETED", "compensate:approvals COMPLETED"});
  CHECK(text_of(undone->getObject("error"), "step") == "read_models");
  CHECK(contains(json_of(*undone->getObject("error")), "analytics.drop_customer"));

  // The approval is pending again with its approver, and a new deal_approval
  // waits for the decision.
  auto approval = ok_json(h.http(), h.admin(), "GET", "/api/approvals/" + c.approval);
  CHECK(text_of(approval, "status") == "PENDING");
  CHECK(text_of(approval, "currentApproverId") == h.manager().id);
  CHECK(approval->getValue<int>("level") == 1);
  CHECK(h.history_of(c.approval) == std::vector<std::string>{"REQUESTED 0", "ASSIGNED 1 " + h.manager().id,
                                                             "CANCELLED 1 " + h.manager().id,
                                                             "REQUESTED 1 " + h.manager().id});
  REQUIRE(eventually(
      [&] {
        return h.approval_workflows(c.approval) ==
               std::vector<std::string>{"COMPLETED finished", "WAITING awaiting_decision"};
      },
      20s));

  // Meetings, tasks and notifications are back; the customer is still in the
  // read-models (flagged deleted by its event, not dropped).
  const auto now = h.snapshot(c);
  CHECK(now.at("/api/customers/" + c.customer).substr(0, 3) == "404");
  for (const auto& path : {"/api/meetings/" + c.future_meeting, "/api/tasks/" + c.open_task}) {
    INFO(path << " now " << now.at(path));
    REQUIRE(now.at(path).substr(0, 4) == "200 ");
    CHECK(without_updated_at(now.at(path).substr(4)) == without_updated_at(before.at(path).substr(4)));
  }
  for (const auto& path : {"/api/meetings/" + c.past_meeting, "/api/tasks/" + c.done_task})
    CHECK(now.at(path) == before.at(path));
  CHECK(h.listed("/api/meetings?customerId=" + c.customer) == std::set<std::string>{c.future_meeting, c.past_meeting});
  CHECK(h.listed("/api/tasks?customerId=" + c.customer) == std::set<std::string>{c.open_task, c.done_task});
  CHECK(h.listed_notice(h.manager(), c.approval) == c.approval_notice);
  CHECK(h.listed_notice(h.seller(), c.open_task) == c.task_notice);
  CHECK(h.read_model_has("customers", c.customer));
  CHECK_FALSE(h.read_model_has("dropped_customers", c.customer));
  for (const auto& id : {c.future_meeting, c.past_meeting}) CHECK(h.read_model_has("meetings", id));
  for (const auto& id : {c.open_task, c.done_task}) CHECK(h.read_model_has("tasks", id));

  // Fixed: the retry runs the deletion again, to the end.
  h.sql().exec("drop trigger refuse_for_the_test on analytics.dropped_customers; "
               "drop function analytics.refuse_for_the_test()");
  ok_json(h.http(), h.admin(), "POST", "/api/workflow-instances/" + text_of(undone, "id") + "/retry");
  auto done = h.wait_for_deletion("COMPLETED");
  CHECK(steps_of(done, 2) == std::vector<std::string>{"forward:approvals COMPLETED", "forward:activity COMPLETED",
                                                      "forward:notifications COMPLETED",
                                                      "forward:read_models COMPLETED"});
  check_deleted(h, c, before);
  CHECK(h.events("opportunity", "approval.cancelled", c.approval) == 2);
  REQUIRE(eventually(
      [&] {
        return h.approval_workflows(c.approval) == std::vector<std::string>{"COMPLETED finished", "COMPLETED finished"};
      },
      20s));
}
