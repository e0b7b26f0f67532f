// The host's own routes as operations of its `platform` part, against a host
// running the real auth plugin: a demoted ADMIN whose token is still valid is
// refused by every one of them (and so cannot deploy and start a saga that
// makes it ADMIN again); every host action leaves an audit entry with the
// user who did it; a workflow's calls are audited as workflow:<name> on
// behalf of whoever started the instance, with the instance's id.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <tuple>

using namespace itest;
namespace fs = std::filesystem;

namespace {

AuthHostOptions workflow_options(std::vector<std::string> fixtures = {}) {
  AuthHostOptions options;
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  options.env["CRM_WORKFLOWS_HOST_ID"] = "itest-" + random_uuid().substr(0, 8);
  options.fixtures = std::move(fixtures);
  return options;
}

std::string source_body(const std::string& lua) {
  Poco::JSON::Object o;
  o.set("source", lua);
  return json_of(o);
}

// A saga whose only step makes `user_id` an ADMIN.
std::string escalation_saga(const std::string& user_id) {
  return "return saga \"escalate\" {\n  trigger = manual,\n  steps = {\n"
         "    step \"promote\" { call = \"auth.users_patch\",\n"
         "      input = function(ctx) return { id = \"" + user_id + "\", role = \"ADMIN\" } end },\n  },\n}\n";
}

// A saga that renames the user of its input.
const char* const kRenameSaga = R"(return saga "rename" {
  trigger = manual,
  steps = {
    step "rename" { call = "auth.users_patch",
      input = function(ctx) return { id = ctx.input.userId, name = ctx.input.name } end },
  },
})";

// A saga whose step always fails (no such user): it ends COMPENSATED.
const char* const kDoomedSaga = R"(return saga "doomed" {
  trigger = manual,
  steps = {
    step "rename" { call = "auth.users_patch", retry = { attempts = 1 },
      input = function(ctx) return { id = "00000000-0000-4000-8000-000000000000", name = "Nobody" } end },
  },
})";

// A state machine that waits for an approval of a random key: none comes.
const char* const kParkedMachine = R"(return workflow "parked" {
  trigger = manual,
  start = "begin",
  states = {
    begin = function(ctx)
      ctx.vars.id = ctx.input.key
      return "waiting"
    end,
    waiting = wait { event = { "item.created" }, key = "id", on_event = { ["item.created"] = "done" } },
    done = function(ctx) end,
  },
})";

Poco::JSON::Object::Ptr wait_for_status(AuthHost& auth, const std::string& id, const std::string& status) {
  Poco::JSON::Object::Ptr last;
  const bool reached = eventually(
      [&] {
        auto r = auth.get("/api/workflow-instances/" + id, auth.admin().access_token);
        if (r.status != 200) return false;
        last = r.json();
        return text_of(last, "status") == status;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(50));
  INFO("instance " << id << ": " << (last ? json_of(*last) : std::string("never read")));
  REQUIRE(reached);
  return last;
}

std::string start(AuthHost& auth, const std::string& workflow, const std::string& input) {
  auto r = auth.call("POST", "/api/workflows/" + workflow + "/instances", "{\"input\":" + input + "}",
                     auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 201);
  return text_of(r.json(), "id");
}

void deploy(AuthHost& auth, const std::string& name, const std::string& lua) {
  auto r = auth.call("PUT", "/api/workflows/" + name, source_body(lua), auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 201);
}

std::string text_of_array(const Poco::JSON::Array::Ptr& items) {
  std::ostringstream out;
  items->stringify(out);
  return out.str();
}

// The audit entries of `action` (newest first).
Poco::JSON::Array::Ptr entries(AuthHost& auth, const std::string& action) {
  return auth.audit_entries("action=" + action);
}

} // namespace

TEST_CASE("a demoted ADMIN whose token is still valid is refused by every host route, and so is its escalation saga",
          "[platform][routes][workflows]") {
  AuthHost auth(workflow_options({"fixture_c", "fixture_cpp"}));
  Account mallory = auth.create_user("ADMIN");
  // While it is an ADMIN, its token opens the host's routes: the refusals
  // below are the demotion's doing.
  REQUIRE(auth.get("/api/workflow-instances", mallory.access_token).status == 200);
  REQUIRE(auth.get("/api/plugins", mallory.access_token).status == 200);

  auto demoted = auth.call("PATCH", "/api/auth/users/" + mallory.id, R"({"role":"SALES"})", auth.admin().access_token);
  INFO(demoted.body);
  REQUIRE(demoted.status == 200);
  require_problem(auth.get("/api/auth/me", mallory.access_token), 401); // the plugins' routes refuse it already

  const std::string escalate = source_body(escalation_saga(mallory.id));
  const std::string some_id = random_uuid();
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/workflow-instances"},
      {"GET", "/api/workflow-instances/" + some_id},
      {"POST", "/api/workflow-instances/" + some_id + "/retry"},
      {"POST", "/api/workflow-instances/" + some_id + "/cancel"},
      {"GET", "/api/workflows"},
      {"GET", "/api/workflows/escalate"},
      {"PUT", "/api/workflows/escalate"},
      {"POST", "/api/workflows/escalate/validate"},
      {"POST", "/api/workflows/escalate/instances"},
      {"POST", "/api/sagas/escalate"},
      {"GET", "/api/plugins"},
      {"GET", "/api/plugins/fixture_cpp/rebuild"},
      {"POST", "/api/plugins/fixture_cpp/rebuild"},
      {"GET", "/api/events/dlq"},
      {"POST", "/api/events/dlq/" + some_id + "/replay"},
  };
  for (const auto& [method, path] : routes) {
    const std::string body = method == "PUT" || path.find("/validate") != std::string::npos ? escalate
                             : method == "POST"                                             ? "{}"
                                                                                            : "";
    auto r = auth.call(method, path, body, mallory.access_token);
    INFO(method << " " << path << " as the demoted ADMIN -> " << r.status << " " << r.body);
    CHECK((r.status == 401 || r.status == 403));
  }

  // Nothing was deployed or started, and the account is still SALES.
  require_problem(auth.get("/api/workflows/escalate", auth.admin().access_token), 404);
  auto instances = auth.get("/api/workflow-instances?name=escalate", auth.admin().access_token);
  REQUIRE(instances.status == 200);
  CHECK(instances.json()->getArray("items")->size() == 0);
  auto user = auth.get("/api/auth/users/" + mallory.id, auth.admin().access_token);
  REQUIRE(user.status == 200);
  CHECK(text_of(user.json(), "role") == "SALES");
  CHECK(entries(auth, "platform.workflows_put")->size() == 0);
}

TEST_CASE("every host action is audited with the ADMIN who did it", "[platform][audit][workflows]") {
  AuthHost auth(workflow_options({"fixture_c", "fixture_cpp"}));
  const Account& admin = auth.admin();
  Account other = auth.create_user_only("SALES");

  auto validated = auth.call("POST", "/api/workflows/rename/validate", source_body(kRenameSaga), admin.access_token);
  INFO(validated.body);
  REQUIRE(validated.status == 200);
  deploy(auth, "rename", kRenameSaga);
  deploy(auth, "doomed", kDoomedSaga);
  deploy(auth, "parked", kParkedMachine);

  const std::string renamed = start(auth, "rename", "{\"userId\":\"" + other.id + "\",\"name\":\"Renamed\"}");
  const std::string doomed = start(auth, "doomed", "{}");
  const std::string parked = start(auth, "parked", "{\"key\":\"" + random_uuid() + "\"}");
  wait_for_status(auth, renamed, "COMPLETED");
  wait_for_status(auth, doomed, "COMPENSATED");
  wait_for_status(auth, parked, "WAITING");
  auto retried = auth.call("POST", "/api/workflow-instances/" + doomed + "/retry", "", admin.access_token);
  INFO(retried.body);
  REQUIRE(retried.status == 200);
  auto cancelled = auth.call("POST", "/api/workflow-instances/" + parked + "/cancel", "", admin.access_token);
  INFO(cancelled.body);
  REQUIRE(cancelled.status == 202);

  auto sql = auth.host().sql();
  auto letter = sql.scalar("insert into platform.dead_letters (id, consumer, operation, event_id, event_type, envelope, "
                           "error, attempts) values (gen_random_uuid(), 'platform_test', 'platform_test.none', "
                           "gen_random_uuid(), 'platform_test.replayed', '{\"data\":{}}'::jsonb, 'put here by the test', "
                           "1) returning id::text");
  REQUIRE(letter);
  auto replayed = auth.call("POST", "/api/events/dlq/" + *letter + "/replay", "", admin.access_token);
  INFO(replayed.body);
  REQUIRE(replayed.status == 202);
  auto rebuilt = auth.call("POST", "/api/plugins/fixture_cpp/rebuild", "", admin.access_token);
  INFO(rebuilt.body);
  REQUIRE(rebuilt.status == 202);

  // One entry per action, by the ADMIN, naming what it acted on.
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"platform.workflows_validate", {"rename"}},
      {"platform.workflows_put", {"parked", "doomed", "rename"}},
      {"platform.workflows_start", {parked, doomed, renamed}},
      {"platform.workflow_instances_retry", {doomed}},
      {"platform.workflow_instances_cancel", {parked}},
      {"platform.dead_letters_replay", {*letter}},
      {"platform.rebuild_start", {"fixture_cpp"}},
  };
  for (const auto& [action, resources] : expected) {
    auto items = entries(auth, action);
    std::vector<std::string> seen;
    for (size_t i = 0; i < items->size(); ++i) {
      auto e = items->getObject(static_cast<unsigned>(i));
      INFO(action << ": " << json_of(*e));
      CHECK(text_of(e, "actorId") == admin.id);
      CHECK(text_of(e, "outcome") == "SUCCESS");
      CHECK(text_of(e, "clientIp") == "127.0.0.1");
      seen.push_back(text_of(e, "resourceId"));
    }
    INFO(action);
    CHECK(seen == resources);
  }

  // A read is not an action: no entry.
  REQUIRE(auth.get("/api/workflows", admin.access_token).status == 200);
  CHECK(entries(auth, "platform.workflows_list")->size() == 0);
}

TEST_CASE("a workflow's calls are audited as workflow:<name> on behalf of its initiator, with the instance id",
          "[platform][audit][workflows]") {
  AuthHost auth(workflow_options());
  const Account& admin = auth.admin();
  Account other = auth.create_user_only("SALES");
  deploy(auth, "rename", kRenameSaga);
  const std::string id = start(auth, "rename", "{\"userId\":\"" + other.id + "\",\"name\":\"Renamed by a saga\"}");
  auto done = wait_for_status(auth, id, "COMPLETED");
  CHECK(text_of(done, "startedBy") == admin.id);

  // The only change to that user is the saga's, and it is the workflow's,
  // not the host's anonymous "system".
  auto items = auth.audit_entries("action=auth.users_patch&resource=" + other.id);
  INFO(text_of_array(items));
  REQUIRE(items->size() == 1);
  auto entry = items->getObject(0);
  CHECK(text_of(entry, "actorId") == "workflow:rename");
  CHECK(text_of(entry, "onBehalfOf") == admin.id);
  CHECK(text_of(entry, "workflowInstanceId") == id);
}

TEST_CASE("an instance an event started acts for the event's actor", "[platform][audit][workflows]") {
  AuthHostOptions options = workflow_options();
  const fs::path plugins = make_temp_dir("platform-ops-plugins-");
  for (const char* name : {"auth", "customer", "sales"}) copy_shipped_plugin(name, plugins);
  const fs::path workflows = make_temp_dir("platform-ops-workflows-");
  fs::copy_file(fs::path(CRM_SOURCE_DIR) / "workflows" / "customer_onboarding.lua", workflows / "customer_onboarding.lua");
  options.env["CRM_PLUGINS_DIR"] = plugins.string();
  options.env["CRM_WORKFLOWS_DIR"] = workflows.string();
  AuthHost auth(options);
  Account sales = auth.create_user("SALES");

  std::optional<Response> created;
  // The workflow goes live once the folder is scanned: a customer created
  // before that would start nothing.
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflows/customer_onboarding", auth.admin().access_token);
        return r.status == 200 && text_of(r.json(), "status") == "LIVE";
      },
      std::chrono::seconds(15)));
  created = auth.call("POST", "/api/customers", R"({"name":"Ada Lovelace"})", sales.access_token);
  INFO(created->body);
  REQUIRE(created->status == 201);

  Poco::JSON::Object::Ptr instance;
  REQUIRE(eventually(
      [&] {
        auto r = auth.get("/api/workflow-instances?name=customer_onboarding&status=COMPLETED",
                          auth.admin().access_token);
        if (r.status != 200 || r.json()->getArray("items")->size() != 1) return false;
        instance = r.json()->getArray("items")->getObject(0);
        return true;
      },
      std::chrono::seconds(20)));
  CHECK(text_of(instance, "startedBy") == sales.id);
  auto items = auth.audit_entries("action=sales.tasks_create");
  INFO(text_of_array(items));
  REQUIRE(items->size() == 1);
  CHECK(text_of(items->getObject(0), "actorId") == "workflow:customer_onboarding");
  CHECK(text_of(items->getObject(0), "onBehalfOf") == sales.id);
  CHECK(text_of(items->getObject(0), "workflowInstanceId") == text_of(instance, "id"));
}

TEST_CASE("the host's own routes are listed in the OpenAPI document, counted by operation, and /metrics can be private",
          "[platform][metrics]") {
  HostUnderTest host({"fixture_c"}, {{"CRM_HTTP_METRICS_PUBLIC", "false"}});
  Http& http = host.http();
  const Headers admin{{"Authorization", bearer(HostUnderTest::admin_token())}};

  auto doc = http.get("/api/openapi.json");
  REQUIRE(doc.status == 200);
  auto paths = doc.json()->getObject("paths");
  REQUIRE(paths);
  const std::vector<std::tuple<std::string, std::string, std::string>> listed = {
      {"/api/workflows/{name}", "put", "platform.workflows_put"},
      {"/api/workflows/{name}/instances", "post", "platform.workflows_start"},
      {"/api/workflow-instances", "get", "platform.workflow_instances_list"},
      {"/api/sagas/{name}", "post", "platform.sagas_start"},
      {"/api/events/dlq/{id}/replay", "post", "platform.dead_letters_replay"},
      {"/api/plugins/{name}/rebuild", "post", "platform.rebuild_start"},
      {"/api/plugins", "get", "platform.plugins_list"},
      {"/health/ready", "get", "platform.health_ready"},
      {"/api/fixture-c/items", "post", "fixture_c.create_item"},
  };
  for (const auto& [path, method, operation] : listed) {
    INFO(path << " " << method);
    auto item = paths->getObject(path);
    REQUIRE(item);
    auto op = item->getObject(method);
    REQUIRE(op);
    CHECK(text_of(op, "operationId") == operation);
  }

  REQUIRE(http.get("/api/workflows", admin).status == 200);
  require_problem(http.get("/metrics"), 401);
  require_problem(http.get("/metrics", {{"Authorization", bearer(mint_token("SALES", random_uuid()))}}), 403);
  auto metrics = http.get("/metrics", admin);
  REQUIRE(metrics.status == 200);
  CHECK(metric_value(metrics.body, "crm_http_requests_total", {{"operation", "platform.workflows_list"}, {"status", "200"}})
            .value_or(0) >= 1.0);
  CHECK(metric_value(metrics.body, "crm_http_requests_total", {{"operation", "platform.metrics"}, {"status", "401"}})
            .value_or(0) >= 1.0);
}
