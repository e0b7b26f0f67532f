// The CRM plugins working together on running hosts: the shipped
// customer_onboarding workflow gives a new customer's owner exactly one
// follow-up task (also when the event is delivered again), a cached customer
// is never read stale after a change through another host, and a due task is
// alerted once however many hosts scan.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <filesystem>
#include <future>
#include <thread>

using namespace itest;
namespace fs = std::filesystem;

namespace {

// AuthHost with auth, customer and sales loaded and the shipped workflows.
AuthHostOptions crm_options() {
  AuthHostOptions options;
  const fs::path plugins = make_temp_dir("crm-flows-plugins-");
  for (const char* name : {"auth", "customer", "sales"}) copy_shipped_plugin(name, plugins);
  const fs::path workflows = make_temp_dir("crm-flows-workflows-");
  fs::copy_file(fs::path(CRM_SOURCE_DIR) / "workflows" / "customer_onboarding.lua", workflows / "customer_onboarding.lua");
  options.env["CRM_PLUGINS_DIR"] = plugins.string();
  options.env["CRM_WORKFLOWS_DIR"] = workflows.string();
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  return options;
}

Response as(Http& http, const Account& who, const std::string& method, const std::string& path,
            const std::string& body = "") {
  Headers h{{"Authorization", bearer(who.access_token)}};
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return http.request(method, path, body, h);
}

Poco::JSON::Array::Ptr tasks_of(Http& http, const Account& who) {
  auto r = as(http, who, "GET", "/api/tasks?limit=200");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json()->getArray("items");
}

std::vector<std::string> titles(const Poco::JSON::Array::Ptr& items) {
  std::vector<std::string> out;
  for (size_t i = 0; i < items->size(); ++i) out.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "title"));
  return out;
}

// A second host's settings: the same folders, no rate limits.
std::map<std::string, std::string> second_host_env(const AuthHostOptions& options) {
  auto env = options.env;
  env["CRM_RATELIMIT_AUTH_PER_IP"] = "0";
  env["CRM_RATELIMIT_API_PER_IP"] = "0";
  env["CRM_RATELIMIT_API_PER_USER"] = "0";
  return env;
}

void wait_for_workflow(AuthHost& auth, const std::string& name) {
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/" + name, auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      std::chrono::seconds(15)));
}

} // namespace

TEST_CASE("a new customer's owner gets one follow-up task, also when the event comes again", "[crm][onboarding]") {
  AuthHost auth(crm_options());
  wait_for_workflow(auth, "customer_onboarding");
  Account sales = auth.create_user("SALES");
  Http& http = auth.host().http();
  auto created = as(http, sales, "POST", "/api/customers", R"({"name":"Ada Lovelace","company":"Engines"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string customer_id = text_of(created.json(), "id");

  REQUIRE(eventually([&] { return tasks_of(http, sales)->size() == 1; }, std::chrono::seconds(20)));
  auto task = tasks_of(http, sales)->getObject(0);
  CHECK(text_of(task, "title") == "First contact: Ada Lovelace");
  CHECK(text_of(task, "assigneeId") == sales.id);
  CHECK(text_of(task, "customerId") == customer_id);

  // The same event again (a replay from the dead letters publishes it anew):
  // no second instance, no second task.
  auto sql = auth.host().sql();
  auto envelope = sql.scalar(
      "select json_build_object('id', id, 'type', type, 'source', source, 'time', to_char(created_at at time zone "
      "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'subject', subject, 'actor', actor, 'traceparent', traceparent, "
      "'data', data)::text from customer.crm_outbox where type = 'customer.created' and subject = $1",
      {customer_id});
  REQUIRE(envelope);
  auto letter = sql.scalar("insert into platform.dead_letters (id, consumer, operation, event_id, event_type, envelope, "
                           "error, attempts) select gen_random_uuid(), 'workflow__customer_onboarding', "
                           "'workflow:customer_onboarding', ($1::jsonb ->> 'id')::uuid, 'customer.created', $1::jsonb, "
                           "'replayed by the test', 1 returning id::text",
                           {*envelope});
  REQUIRE(letter);
  auto replay = auth.host().http().post("/api/events/dlq/" + *letter + "/replay", "",
                                        {{"Authorization", bearer(auth.admin().access_token)}});
  INFO(replay.body);
  REQUIRE(replay.status == 202);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  CHECK(titles(tasks_of(http, sales)) == std::vector<std::string>{"First contact: Ada Lovelace"});
  CHECK(sql.count("select count(*) from platform.workflow_instances where name = 'customer_onboarding'") == 1);
}

TEST_CASE("a cached customer is never read stale after a change through another host", "[crm][cache]") {
  auto options = crm_options();
  AuthHost auth(options);
  auto other = auth.host().another_host("crm-host-b", second_host_env(options));
  other->start();
  other->wait_until_live();
  Account sales = auth.create_user("SALES");
  Http& a = auth.host().http();
  Http b(other->port());
  auto created = as(a, sales, "POST", "/api/customers", R"({"name":"Grace Hopper"})");
  REQUIRE(created.status == 201);
  const std::string id = text_of(created.json(), "id");

  REQUIRE(as(a, sales, "GET", "/api/customers/" + id).status == 200);
  REQUIRE(as(a, sales, "GET", "/api/customers/" + id).status == 200);
  auto metrics = a.get("/metrics").body;
  CHECK(metric_value(metrics, "crm_cache_requests", {{"plugin", "customer"}, {"result", "hit"}}) >= 1.0);

  auto patched = as(b, sales, "PATCH", "/api/customers/" + id, R"({"name":"Rear Admiral Hopper"})");
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  for (int i = 0; i < 3; ++i) {
    CHECK(text_of(as(a, sales, "GET", "/api/customers/" + id).json(), "name") == "Rear Admiral Hopper");
    CHECK(text_of(as(b, sales, "GET", "/api/customers/" + id).json(), "name") == "Rear Admiral Hopper");
  }
  // The admin deletes it through B: A answers 404 at once, not the cached copy.
  auto deleted = auth.host().http().request("DELETE", "/api/customers/" + id, "",
                                            {{"Authorization", bearer(auth.admin().access_token)}});
  REQUIRE(deleted.status == 202);
  CHECK(as(a, sales, "GET", "/api/customers/" + id).status == 404);
  CHECK(as(b, sales, "GET", "/api/customers/" + id).status == 404);
}

TEST_CASE("a due task is alerted once with two hosts scanning and a restart between scans", "[crm][due-soon]") {
  auto options = crm_options();
  AuthHost auth(options);
  auto other = auth.host().another_host("crm-host-b", second_host_env(options));
  other->start();
  other->wait_until_live();
  Account sales = auth.create_user("SALES");
  Http& a = auth.host().http();
  auto task = as(a, sales, "POST", "/api/tasks", R"({"title":"Call back","dueAt":"2099-01-01T00:00:00Z"})");
  REQUIRE(task.status == 201);
  const std::string id = text_of(task.json(), "id");
  // Due within the window from now on.
  auto soon = as(a, sales, "PATCH", "/api/tasks/" + id,
                 "{\"dueAt\":\"" + Poco::DateTimeFormatter::format(Poco::Timestamp() + Poco::Timespan(3600, 0),
                                                                  "%Y-%m-%dT%H:%M:%SZ") + "\"}");
  INFO(soon.body);
  REQUIRE(soon.status == 200);
  auto scan = [&](int port) {
    Http http(port);
    return http.request("POST", "/api/tasks/scan-due", "", {{"Authorization", bearer(auth.admin().access_token)}}).status;
  };
  auto one = std::async(std::launch::async, scan, auth.host().port());
  auto two = std::async(std::launch::async, scan, other->port());
  CHECK(one.get() == 200);
  CHECK(two.get() == 200);
  auth.host().process().terminate();
  auth.host().process().wait_for_exit(std::chrono::seconds(15));
  auth.host().start();
  CHECK(scan(auth.host().port()) == 200);
  CHECK(scan(other->port()) == 200);
  auto alerts = auth.host().sql().count(
      "select count(*) from sales.crm_outbox where type = 'task.due_soon' and subject = $1", {id});
  CHECK(alerts == 1);
}
