// User offboarding end to end: DELETE /api/auth/users/{id} answers with the
// instance of the shipped workflows/user_offboarding.lua its user.deleted
// starts; that instance runs the shipped reassignment saga as its child (to
// the named successor, else the manager, else an ADMIN), then revokes the
// user's tokens. A host with every shipped plugin and both shipped scripts.
#include "support/AnalyticsHost.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace itest;
using namespace std::chrono_literals;

namespace {

AuthHostOptions offboarding_options() {
  return analytics_options({{"reassignment.lua", shipped_workflow("reassignment.lua")},
                            {"user_offboarding.lua", shipped_workflow("user_offboarding.lua")}},
                           {"opportunity"});
}

void wait_until_live(AuthHost& auth, const std::string& name);

// A host running both scripts, once they are live.
struct OffboardingHost {
  OffboardingHost() : http(auth.host().http()), sql(auth.host().sql()) {
    wait_until_live(auth, "reassignment");
    wait_until_live(auth, "user_offboarding");
  }
  AuthHost auth{offboarding_options()};
  Http& http;
  Sql sql;
};

void wait_until_live(AuthHost& auth, const std::string& name) {
  INFO("workflow " << name << " should go live");
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/" + name, auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      15s));
}

// Waits until instance `id` is `status`; returns GET /api/workflow-instances/{id}.
Poco::JSON::Object::Ptr wait_for_instance(AuthHost& auth, const std::string& id, const std::string& status) {
  Poco::JSON::Object::Ptr last;
  const bool ended = eventually(
      [&] {
        auto r = auth.get("/api/workflow-instances/" + id, auth.admin().access_token);
        if (r.status != 200) return false;
        last = r.json();
        return text_of(last, "status") == status;
      },
      30s);
  std::ostringstream seen;
  if (last) last->stringify(seen);
  INFO("instance " << id << " should be " << status << "; last seen: " << seen.str() << "\n"
                   << auth.host().process().log_tail(40));
  REQUIRE(ended);
  return last;
}

std::string create_customer(Http& http, const Account& owner, const std::string& name) {
  return text_of(ok_json(http, owner, "POST", "/api/customers", "{\"name\":\"" + name + "\"}", 201), "id");
}

long long owned_by(Sql& sql, const std::string& user) {
  return sql.count("select count(*) from customer.customers where owner_id = $1::uuid and deleted_at is null", {user});
}

} // namespace

TEST_CASE("deleting a user hands its records to its manager through the offboarding and its reassignment child",
          "[offboarding]") {
  OffboardingHost host;
  AuthHost& auth = host.auth;
  Http& http = host.http;
  Sql& sql = host.sql;
  Account manager = auth.create_user("MANAGER");
  Account leaving = auth.create_user("SALES", manager.id);
  Account colleague = auth.create_user("SALES", manager.id);
  const std::string ada = create_customer(http, leaving, "Ada Lovelace");
  const std::string grace = create_customer(http, leaving, "Grace Hopper");
  const std::string kept = create_customer(http, colleague, "Alan Turing");
  const std::string due = utc_time(std::chrono::system_clock::now() + std::chrono::hours(72));
  const std::string task =
      text_of(ok_json(http, leaving, "POST", "/api/tasks",
                      "{\"title\":\"Call Ada\",\"customerId\":\"" + ada + "\",\"dueAt\":\"" + due + "\"}", 201),
              "id");

  auto deleted = auth.call("DELETE", "/api/auth/users/" + leaving.id, "", auth.admin().access_token);
  INFO(deleted.body);
  REQUIRE(deleted.status == 202);
  const std::string id = text_of(deleted.json(), "workflowInstanceId");
  REQUIRE(id.size() == 36);

  auto offboarding = wait_for_instance(auth, id, "COMPLETED");
  CHECK(text_of(offboarding, "name") == "user_offboarding");
  auto children = offboarding->getArray("children");
  REQUIRE(children);
  REQUIRE(children->size() == 1);
  auto reassignment = wait_for_instance(auth, children->getElement<std::string>(0), "COMPLETED");
  CHECK(text_of(reassignment, "name") == "reassignment");
  CHECK(text_of(reassignment, "parentId") == id);

  // Everything the user owned is the manager's; the colleague's is not touched.
  CHECK(owned_by(sql, leaving.id) == 0);
  CHECK(owned_by(sql, manager.id) == 2);
  CHECK(sql.count("select count(*) from customer.customers where id = any($1::uuid[]) and owner_id = $2::uuid",
                  {"{" + ada + "," + grace + "}", manager.id}) == 2);
  CHECK(sql.scalar("select owner_id::text from customer.customers where id = $1::uuid", {kept}) == colleague.id);
  CHECK(sql.scalar("select assignee_id::text from sales.tasks where id = $1::uuid", {task}) == manager.id);

  // The tokens are gone: the refresh token is refused, the access token too.
  CHECK(auth.refresh(leaving.refresh_token).status == 401);
  CHECK(as(http, leaving, "GET", "/api/customers").status == 401);
  CHECK(sql.count("select count(*) from auth.refresh_tokens where user_id = $1::uuid and revoked_at is null",
                  {leaving.id}) == 0);

  // The manager was told once, as the new owner.
  REQUIRE(eventually([&] { return !items_of(ok_json(http, manager, "GET", "/api/notifications")).empty(); }, 10s));
  auto told = items_of(ok_json(http, manager, "GET", "/api/notifications"));
  REQUIRE(told.size() == 1);
  CHECK(text_of(told[0], "kind") == "REASSIGNMENT_RECEIVED");

  // The same instance is not started twice: a second delivery of the event
  // (a replay) finds it.
  auto event =
      sql.scalar("select id::text from auth.crm_outbox where type = 'user.deleted' and subject = $1", {leaving.id});
  REQUIRE(event);
  replay_event(auth, sql, "auth", *event);
  std::this_thread::sleep_for(1s); // nothing to wait for: a second instance would appear within it
  CHECK(sql.count("select count(*) from platform.workflow_instances where name = 'user_offboarding'") == 1);
}

TEST_CASE("the successor is the one named, else an ADMIN when the user has no manager", "[offboarding]") {
  OffboardingHost host;
  AuthHost& auth = host.auth;
  Http& http = host.http;
  Sql& sql = host.sql;
  Account manager = auth.create_user("MANAGER");
  Account named = auth.create_user_only("SALES", manager.id);
  Account leaving = auth.create_user("SALES", manager.id);
  Account alone = auth.create_user("SALES");
  create_customer(http, leaving, "Ada Lovelace");
  create_customer(http, alone, "Grace Hopper");

  SECTION("reassignTo wins over the manager") {
    auto deleted =
        auth.call("DELETE", "/api/auth/users/" + leaving.id + "?reassignTo=" + named.id, "", auth.admin().access_token);
    INFO(deleted.body);
    REQUIRE(deleted.status == 202);
    wait_for_instance(auth, text_of(deleted.json(), "workflowInstanceId"), "COMPLETED");
    CHECK(owned_by(sql, named.id) == 1);
    CHECK(owned_by(sql, manager.id) == 0);
  }
  SECTION("without a manager the records go to an ADMIN") {
    auto deleted = auth.call("DELETE", "/api/auth/users/" + alone.id, "", auth.admin().access_token);
    INFO(deleted.body);
    REQUIRE(deleted.status == 202);
    wait_for_instance(auth, text_of(deleted.json(), "workflowInstanceId"), "COMPLETED");
    CHECK(owned_by(sql, alone.id) == 0);
    CHECK(owned_by(sql, auth.admin().id) == 1);
  }
}
