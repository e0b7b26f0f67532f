// The sales plugin (meetings and tasks) on a real host with the shipped auth,
// customer and sales plugins: the record rules on every route (SALES its own,
// a MANAGER its team's, ADMIN all, 404 for the rest), customers checked
// through customer.get, bad input refused per field with nothing written,
// completion, the due-soon scan announcing each task once (concurrent scans,
// repeats, a restart, a moved due date), lists and stats, and the saga
// operations driven by a real workflow.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <atomic>
#include <ctime>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace itest;

namespace {

// AuthHost's options with a plugin folder holding auth and `plugins` (by
// default customer and sales), so that all load at start (AuthHost itself
// copies only auth.so, into the folder this override replaces).
AuthHostOptions with_sales_plugins(AuthHostOptions options, const std::vector<std::string>& plugins) {
  const fs::path dir = make_temp_dir("crm-sales-plugins-");
  copy_shipped_plugin("auth", dir);
  for (const auto& name : plugins) copy_shipped_plugin(name, dir);
  options.env["CRM_PLUGINS_DIR"] = dir.string();
  return options;
}

// RFC 3339 UTC, `offset` from now.
std::string time_from_now(std::chrono::seconds offset) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

using Fields = std::vector<std::pair<std::string, Poco::Dynamic::Var>>;

std::string body_of(const Fields& fields) {
  Poco::JSON::Object o;
  for (const auto& [k, v] : fields) o.set(k, v);
  return json_of(o);
}

// `base` with `key` set to `value` (or removed, when value is "<absent>").
std::string body_with(const Fields& base, const std::string& key, const Poco::Dynamic::Var& value) {
  Poco::JSON::Object o;
  for (const auto& [k, v] : base) o.set(k, v);
  if (!value.isEmpty() && value.isString() && value.toString() == "<absent>")
    o.remove(key);
  else
    o.set(key, value);
  return json_of(o);
}

const Poco::Dynamic::Var kAbsent = std::string("<absent>");
const Poco::Dynamic::Var kNull = Poco::Dynamic::Var();

// A host with the three plugins, and the calls these tests make.
class SalesHost {
public:
  explicit SalesHost(AuthHostOptions options = {}, std::vector<std::string> plugins = {"customer", "sales"})
      : plugins_(std::move(plugins)), auth_(with_sales_plugins(std::move(options), plugins_)) {
    wait_for_plugins();
  }

  AuthHost& auth() { return auth_; }
  const Account& admin() const { return auth_.admin(); }
  Sql sql() { return auth_.host().sql(); }

  Response as(const Account& who, const std::string& method, const std::string& path, const std::string& body = "") {
    return auth_.call(method, path, body, who.access_token);
  }

  // Stops the host (SIGTERM) and starts it again on the same database.
  void restart() {
    auth_.host().process().stop();
    auth_.host().process().start();
    auth_.host().process().wait_until_live();
    auth_.http().reset();
    wait_for_plugins();
  }

  // POST /api/customers as the admin, owned by `owner_id`; its id.
  std::string create_customer(const std::string& owner_id) {
    auto r =
        as(admin(), "POST", "/api/customers", body_of({{"name", "Customer " + random_hex(6)}, {"ownerId", owner_id}}));
    INFO("POST /api/customers -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return text_of(r.json(), "id");
  }

  // POST /api/meetings as `who`; requires 201; the meeting.
  Poco::JSON::Object::Ptr create_meeting(const Account& who, const std::string& customer_id, Fields extra = {},
                                         const std::string& scheduled_at = time_from_now(std::chrono::hours(48))) {
    Fields fields{{"customerId", customer_id}, {"title", "Portfolio review"}, {"scheduledAt", scheduled_at}};
    for (auto& f : extra) fields.push_back(f);
    auto r = as(who, "POST", "/api/meetings", body_of(fields));
    INFO("POST /api/meetings as " << who.role << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  // POST /api/tasks as `who`; requires 201; the task.
  Poco::JSON::Object::Ptr create_task(const Account& who, Fields extra = {},
                                      const std::string& due_at = time_from_now(std::chrono::hours(72))) {
    Fields fields{{"title", "Call back"}, {"dueAt", due_at}};
    for (auto& f : extra) fields.push_back(f);
    auto r = as(who, "POST", "/api/tasks", body_of(fields));
    INFO("POST /api/tasks as " << who.role << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  // The ids of every item a list route gives `who` (following nextCursor).
  std::set<std::string> listed(const Account& who, const std::string& path) {
    std::set<std::string> ids;
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
      const std::string sep = path.find('?') == std::string::npos ? "?" : "&";
      auto r = as(who, "GET", path + sep + "limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor));
      INFO("GET " << path << " as " << who.role << " -> " << r.status << " " << r.body);
      REQUIRE(r.status == 200);
      for (const auto& id : AuthHost::ids_of(r)) ids.insert(id);
      cursor = text_of(r.json(), "nextCursor");
      if (cursor.empty()) break;
    }
    return ids;
  }

  // Rows of the sales outbox of `type` about `subject`.
  long long events(const std::string& type, const std::string& subject) {
    return sql().count("select count(*) from sales.crm_outbox where type = $1 and subject = $2", {type, subject});
  }
  long long events(const std::string& type) {
    return sql().count("select count(*) from sales.crm_outbox where type = $1", {type});
  }

  // POST /api/tasks/scan-due as the admin, on a connection of its own (any thread).
  int scan_due() {
    Http http(auth_.host().port());
    auto r = http.request("POST", "/api/tasks/scan-due", "", {{"Authorization", bearer(admin().access_token)}});
    return r.status;
  }

private:
  void wait_for_plugins() {
    std::string last;
    const bool loaded = eventually(
        [&] {
          auto r = as(admin(), "GET", "/api/plugins");
          last = r.body;
          if (r.status != 200) return false;
          int found = 0;
          auto items = r.json()->getArray("items");
          for (size_t i = 0; items && i < items->size(); ++i) {
            auto entry = items->getObject(static_cast<unsigned>(i));
            const std::string file = entry->optValue<std::string>("file", "");
            for (const auto& name : plugins_)
              if (file == name + ".so" && entry->optValue<std::string>("status", "") == "LOADED") ++found;
          }
          return found == static_cast<int>(plugins_.size());
        },
        std::chrono::seconds(15), std::chrono::milliseconds(100));
    INFO("GET /api/plugins: " << last);
    REQUIRE(loaded);
  }

  std::vector<std::string> plugins_; // besides auth
  AuthHost auth_;
};

// manager <- sales, peer (SALES);  other_manager <- other_sales (SALES).
struct Org {
  Account manager, sales, peer, other_manager, other_sales;
};

Org make_org(AuthHost& auth) {
  Org o;
  o.manager = auth.create_user("MANAGER");
  o.sales = auth.create_user("SALES", o.manager.id);
  o.peer = auth.create_user("SALES", o.manager.id);
  o.other_manager = auth.create_user("MANAGER");
  o.other_sales = auth.create_user("SALES", o.other_manager.id);
  return o;
}

// Who may reach a record of `org.sales`: itself, its manager and the ADMIN.
struct Reach {
  const Account* who;
  const char* name;
  bool sees;
};

std::vector<Reach> reach_of_sales_record(const Org& org, const Account& admin) {
  return {{&org.sales, "SALES own", true},
          {&org.peer, "SALES other (same team)", false},
          {&org.manager, "MANAGER team", true},
          {&org.other_manager, "MANAGER other team", false},
          {&org.other_sales, "SALES other team", false},
          {&admin, "ADMIN", true}};
}

void expect_status(SalesHost& s, const Reach& c, const std::string& method, const std::string& path,
                   const std::string& body, int expected) {
  auto r = s.as(*c.who, method, path, body);
  INFO(c.name << ": " << method << " " << path << " " << body << " -> " << r.status << " " << r.body);
  CHECK(r.status == expected);
  if (expected >= 400) CHECK(starts_with(lower(r.content_type()), "application/problem+json"));
}

std::vector<std::string> fields_of(const Response& r) {
  INFO(r.status << " " << r.body);
  if (r.status != 422) return {"<status " + std::to_string(r.status) + ">"};
  return error_fields(r.json());
}

} // namespace

// ---------------------------------------------------------------------------
// Record rules

TEST_CASE("meetings: SALES reaches its own, a MANAGER its team's, ADMIN all, and anyone else gets a 404 on every route",
          "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const std::string customer = s.create_customer(org.sales.id);
  const std::string meeting = text_of(s.create_meeting(org.sales, customer), "id");

  for (const auto& c : reach_of_sales_record(org, s.admin())) {
    const int ok = c.sees ? 200 : 404;
    expect_status(s, c, "GET", "/api/meetings/" + meeting, "", ok);
    expect_status(s, c, "PATCH", "/api/meetings/" + meeting, body_of({{"title", std::string("Seen by ") + c.name}}),
                  ok);
    INFO(c.name);
    CHECK(s.listed(*c.who, "/api/meetings").count(meeting) == (c.sees ? 1u : 0u));
  }
  // Only the PATCHes of those who see it changed it; the last was the ADMIN's.
  CHECK(text_of(s.as(org.sales, "GET", "/api/meetings/" + meeting).json(), "title") == "Seen by ADMIN");

  // DELETE, on a meeting of its own per caller: a 404 changes nothing.
  for (const auto& c : reach_of_sales_record(org, s.admin())) {
    const std::string victim = text_of(s.create_meeting(org.sales, customer), "id");
    expect_status(s, c, "DELETE", "/api/meetings/" + victim, "", c.sees ? 204 : 404);
    expect_status(s, reach_of_sales_record(org, s.admin())[0], "GET", "/api/meetings/" + victim, "",
                  c.sees ? 404 : 200);
  }

  // A MANAGER's own meeting is not its team's to see.
  const std::string managers_customer = s.create_customer(org.manager.id);
  const std::string managers = text_of(s.create_meeting(org.manager, managers_customer), "id");
  const std::vector<Reach> reach_of_manager_record{{&org.manager, "MANAGER own", true},
                                                   {&org.sales, "SALES of the team", false},
                                                   {&org.other_manager, "MANAGER other", false},
                                                   {&s.admin(), "ADMIN", true}};
  for (const auto& c : reach_of_manager_record) {
    expect_status(s, c, "GET", "/api/meetings/" + managers, "", c.sees ? 200 : 404);
    expect_status(s, c, "PATCH", "/api/meetings/" + managers, R"({"location":"HQ"})", c.sees ? 200 : 404);
  }
  CHECK(s.listed(org.manager, "/api/meetings").count(meeting) == 1);
  CHECK(s.listed(org.manager, "/api/meetings").count(managers) == 1);
  CHECK(s.listed(org.sales, "/api/meetings").count(managers) == 0);
  CHECK(s.listed(org.other_manager, "/api/meetings").empty());
}

TEST_CASE("tasks: SALES reaches its own, a MANAGER its team's, ADMIN all, and anyone else gets a 404 on every route",
          "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const std::string task = text_of(s.create_task(org.sales), "id");

  for (const auto& c : reach_of_sales_record(org, s.admin())) {
    const int ok = c.sees ? 200 : 404;
    expect_status(s, c, "GET", "/api/tasks/" + task, "", ok);
    expect_status(s, c, "PATCH", "/api/tasks/" + task, R"({"priority":"HIGH"})", ok);
    INFO(c.name);
    CHECK(s.listed(*c.who, "/api/tasks").count(task) == (c.sees ? 1u : 0u));
  }
  for (const auto& c : reach_of_sales_record(org, s.admin())) {
    const std::string to_complete = text_of(s.create_task(org.sales), "id");
    expect_status(s, c, "POST", "/api/tasks/" + to_complete + "/complete", "", c.sees ? 200 : 404);
    CHECK(text_of(s.as(org.sales, "GET", "/api/tasks/" + to_complete).json(), "status") == (c.sees ? "DONE" : "OPEN"));

    const std::string victim = text_of(s.create_task(org.sales), "id");
    expect_status(s, c, "DELETE", "/api/tasks/" + victim, "", c.sees ? 204 : 404);
    expect_status(s, reach_of_sales_record(org, s.admin())[0], "GET", "/api/tasks/" + victim, "", c.sees ? 404 : 200);
  }

  const std::string managers = text_of(s.create_task(org.manager), "id");
  const std::vector<Reach> reach_of_manager_record{{&org.manager, "MANAGER own", true},
                                                   {&org.sales, "SALES of the team", false},
                                                   {&org.other_manager, "MANAGER other", false},
                                                   {&s.admin(), "ADMIN", true}};
  for (const auto& c : reach_of_manager_record) {
    expect_status(s, c, "GET", "/api/tasks/" + managers, "", c.sees ? 200 : 404);
    expect_status(s, c, "PATCH", "/api/tasks/" + managers, R"({"priority":"LOW"})", c.sees ? 200 : 404);
  }
  CHECK(s.listed(org.other_sales, "/api/tasks").empty());
}

TEST_CASE("a task or meeting goes to someone else only from a MANAGER within its team or an ADMIN, else 403",
          "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  auto sql = s.sql();
  auto tasks = [&] { return sql.count("select count(*) from sales.tasks"); };
  const std::string due = time_from_now(std::chrono::hours(72));
  auto task_for = [&](const std::string& assignee) {
    return body_of({{"title", "Follow up"}, {"dueAt", due}, {"assigneeId", assignee}});
  };

  // By default a task is the caller's.
  CHECK(text_of(s.create_task(org.sales), "assigneeId") == org.sales.id);
  CHECK(text_of(s.create_task(org.sales, {{"assigneeId", org.sales.id}}), "assigneeId") == org.sales.id);
  const long long before = tasks();
  require_problem(s.as(org.sales, "POST", "/api/tasks", task_for(org.peer.id)), 403);
  require_problem(s.as(org.manager, "POST", "/api/tasks", task_for(org.other_sales.id)), 403);
  require_problem(s.as(org.other_manager, "POST", "/api/tasks", task_for(org.manager.id)), 403);
  CHECK(tasks() == before);

  CHECK(text_of(s.create_task(org.manager, {{"assigneeId", org.peer.id}}), "assigneeId") == org.peer.id);
  CHECK(text_of(s.create_task(s.admin(), {{"assigneeId", org.other_sales.id}}), "assigneeId") == org.other_sales.id);
  // The ADMIN may give a task to anyone who exists.
  CHECK(fields_of(s.as(s.admin(), "POST", "/api/tasks", task_for(random_uuid()))) ==
        std::vector<std::string>{"assigneeId"});

  // Re-assigning through PATCH follows the same rule.
  const std::string task = text_of(s.create_task(org.sales), "id");
  require_problem(s.as(org.sales, "PATCH", "/api/tasks/" + task, body_of({{"assigneeId", org.peer.id}})), 403);
  CHECK(text_of(s.as(org.sales, "GET", "/api/tasks/" + task).json(), "assigneeId") == org.sales.id);
  auto moved = s.as(org.manager, "PATCH", "/api/tasks/" + task, body_of({{"assigneeId", org.peer.id}}));
  INFO(moved.body);
  REQUIRE(moved.status == 200);
  require_problem(s.as(org.sales, "GET", "/api/tasks/" + task), 404);
  CHECK(s.as(org.peer, "GET", "/api/tasks/" + task).status == 200);

  // Meetings: ownerId, the same way.
  const std::string customer = s.create_customer(org.sales.id);
  const long long meetings_before = sql.count("select count(*) from sales.meetings");
  require_problem(
      s.as(org.sales, "POST", "/api/meetings",
           body_of({{"customerId", customer}, {"title", "Intro"}, {"scheduledAt", due}, {"ownerId", org.peer.id}})),
      403);
  CHECK(sql.count("select count(*) from sales.meetings") == meetings_before);
  CHECK(text_of(s.create_meeting(org.manager, customer, {{"ownerId", org.sales.id}}), "ownerId") == org.sales.id);
}

// ---------------------------------------------------------------------------
// Customers, through customer.get

TEST_CASE("a meeting or task for a missing customer, or one the caller cannot see, is a 422 on customerId and "
          "nothing is written",
          "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const std::string someone_elses = s.create_customer(org.other_sales.id);
  const std::string peers = s.create_customer(org.peer.id);
  const std::string own = s.create_customer(org.sales.id);
  const std::string when = time_from_now(std::chrono::hours(24));
  auto sql = s.sql();

  for (const std::string& customer : {random_uuid(), someone_elses, peers}) {
    INFO("customer " << customer);
    auto r = s.as(org.sales, "POST", "/api/meetings",
                  body_of({{"customerId", customer}, {"title", "Intro"}, {"scheduledAt", when}}));
    CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{"customerId"});
    r = s.as(org.sales, "POST", "/api/tasks", body_of({{"customerId", customer}, {"title", "Call"}, {"dueAt", when}}));
    CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{"customerId"});
  }
  CHECK(sql.count("select count(*) from sales.meetings") == 0);
  CHECK(sql.count("select count(*) from sales.tasks") == 0);
  CHECK(sql.count("select count(*) from sales.crm_outbox") == 0);

  // The customer plugin's own rules decide: SALES its own, a MANAGER its team's.
  const auto meeting = s.create_meeting(org.sales, own);
  CHECK(text_of(meeting, "customerId") == own);
  s.create_meeting(org.manager, peers);
  s.create_task(org.manager, {{"customerId", peers}});
  s.create_meeting(s.admin(), someone_elses);

  // Moving a meeting to a customer out of sight is refused the same way.
  const std::string id = text_of(meeting, "id");
  auto r = s.as(org.sales, "PATCH", "/api/meetings/" + id, body_of({{"customerId", someone_elses}}));
  CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{"customerId"});
  CHECK(text_of(s.as(org.sales, "GET", "/api/meetings/" + id).json(), "customerId") == own);
}

TEST_CASE("without the customer plugin a meeting or task for a customer cannot be checked and is answered 503, "
          "as an approval is",
          "[sales]") {
  SalesHost s({}, {"sales"});
  Org org = make_org(s.auth());
  const std::string when = time_from_now(std::chrono::hours(24));
  require_problem(s.as(org.sales, "POST", "/api/meetings",
                       body_of({{"customerId", random_uuid()}, {"title", "Intro"}, {"scheduledAt", when}})),
                  503);
  require_problem(
      s.as(org.sales, "POST", "/api/tasks", body_of({{"customerId", random_uuid()}, {"title", "Call"}, {"dueAt", when}})),
      503);
  auto sql = s.sql();
  CHECK(sql.count("select count(*) from sales.meetings") == 0);
  CHECK(sql.count("select count(*) from sales.tasks") == 0);
  // A task for no customer needs no check.
  s.create_task(org.sales);
}

// ---------------------------------------------------------------------------
// Input

TEST_CASE("bad input on every POST and PATCH is a 422 naming the field, and nothing is written", "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const Account& user = org.sales;
  const std::string customer = s.create_customer(user.id);
  const std::string when = time_from_now(std::chrono::hours(30));
  const auto meeting = s.create_meeting(user, customer);
  const auto task = s.create_task(user);
  const std::string meeting_path = "/api/meetings/" + text_of(meeting, "id");
  const std::string task_path = "/api/tasks/" + text_of(task, "id");

  auto sql = s.sql();
  auto snapshot = [&] {
    return std::vector<long long>{sql.count("select count(*) from sales.meetings"),
                                  sql.count("select count(*) from sales.tasks"),
                                  sql.count("select count(*) from sales.crm_outbox")};
  };
  const auto before = snapshot();
  const std::string meeting_before = s.as(user, "GET", meeting_path).body;
  const std::string task_before = s.as(user, "GET", task_path).body;

  const std::string long_title(201, 't'), long_place(201, 'p'), long_text(5001, 'n');
  struct Bad {
    std::string key;
    Poco::Dynamic::Var value;
  };
  const std::vector<Bad> bad_meeting{{"customerId", kAbsent},
                                     {"title", kAbsent},
                                     {"scheduledAt", kAbsent},
                                     {"customerId", "42"},
                                     {"customerId", 42},
                                     {"customerId", kNull},
                                     {"title", ""},
                                     {"title", "   "},
                                     {"title", long_title},
                                     {"title", 7},
                                     {"scheduledAt", "tomorrow"},
                                     {"scheduledAt", "2026-02-30T10:00:00Z"},
                                     {"scheduledAt", "2026-03-01 10:00"},
                                     {"scheduledAt", "2026-03-01"},
                                     {"durationMinutes", 0},
                                     {"durationMinutes", 1441},
                                     {"durationMinutes", "30"},
                                     {"durationMinutes", 1.5},
                                     {"location", long_place},
                                     {"notes", long_text},
                                     {"ownerId", "me"},
                                     {"colour", "red"}};
  const Fields meeting_base{{"customerId", customer}, {"title", "Intro"}, {"scheduledAt", when}};
  for (const auto& b : bad_meeting) {
    const std::string body = body_with(meeting_base, b.key, b.value);
    INFO("POST /api/meetings " << body);
    CHECK(fields_of(s.as(user, "POST", "/api/meetings", body)) == std::vector<std::string>{b.key});
  }
  for (const auto& b : bad_meeting) {
    if (b.value.isString() && b.value.toString() == "<absent>") continue;
    const std::string body = body_with({}, b.key, b.value);
    INFO("PATCH " << meeting_path << " " << body);
    CHECK(fields_of(s.as(user, "PATCH", meeting_path, body)) == std::vector<std::string>{b.key});
  }

  const std::vector<Bad> bad_task{{"title", kAbsent},      {"dueAt", kAbsent},         {"title", ""},
                                  {"title", " \t"},        {"title", long_title},      {"dueAt", "next week"},
                                  {"dueAt", "2026-01-01"}, {"dueAt", 1767225600},      {"priority", "URGENT"},
                                  {"priority", "high"},    {"description", long_text}, {"customerId", "nope"},
                                  {"assigneeId", "me"},    {"assigneeId", 5},          {"status", "DONE"}};
  const Fields task_base{{"title", "Call"}, {"dueAt", when}};
  for (const auto& b : bad_task) {
    const std::string body = body_with(task_base, b.key, b.value);
    INFO("POST /api/tasks " << body);
    CHECK(fields_of(s.as(user, "POST", "/api/tasks", body)) == std::vector<std::string>{b.key});
  }
  for (const auto& b : bad_task) {
    if (b.value.isString() && b.value.toString() == "<absent>") continue;
    const std::string body = body_with({}, b.key, b.value);
    INFO("PATCH " << task_path << " " << body);
    CHECK(fields_of(s.as(user, "PATCH", task_path, body)) == std::vector<std::string>{b.key});
  }
  // A malformed id in the path names the field too.
  CHECK(fields_of(s.as(user, "GET", "/api/tasks/not-a-uuid")) == std::vector<std::string>{"id"});
  CHECK(fields_of(s.as(user, "POST", "/api/tasks/not-a-uuid/complete")) == std::vector<std::string>{"id"});

  CHECK(snapshot() == before);
  CHECK(s.as(user, "GET", meeting_path).body == meeting_before);
  CHECK(s.as(user, "GET", task_path).body == task_before);
}

// ---------------------------------------------------------------------------
// Events

TEST_CASE("creating a meeting or task records meeting.created / task.created with the record, subject its id",
          "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const std::string customer = s.create_customer(org.sales.id);
  const auto meeting = s.create_meeting(org.sales, customer, {{"durationMinutes", 45}, {"location", "Office"}});
  const auto task = s.create_task(org.sales, {{"customerId", customer}, {"priority", "HIGH"}});

  CHECK(meeting->getValue<int>("durationMinutes") == 45);
  CHECK(text_of(meeting, "ownerId") == org.sales.id);
  CHECK(text_of(task, "status") == "OPEN");
  CHECK(text_of(task, "priority") == "HIGH");
  CHECK(task->isNull("completedAt"));

  auto sql = s.sql();
  auto data = [&](const std::string& type, const std::string& subject) {
    auto rows = sql.query("select data::text from sales.crm_outbox where type = $1 and subject = $2", {type, subject});
    REQUIRE(rows.size() == 1);
    Poco::JSON::Parser parser;
    return parser.parse(*rows[0][0]).extract<Poco::JSON::Object::Ptr>();
  };
  auto meeting_event = data("meeting.created", text_of(meeting, "id"));
  CHECK(json_of(*meeting_event) == json_of(*meeting));
  auto task_event = data("task.created", text_of(task, "id"));
  CHECK(json_of(*task_event) == json_of(*task));
}

TEST_CASE("completing a task records task.completed once - completing it again is a 409", "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  const std::string task = text_of(s.create_task(org.sales), "id");

  auto done = s.as(org.sales, "POST", "/api/tasks/" + task + "/complete");
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(text_of(done.json(), "status") == "DONE");
  CHECK(!text_of(done.json(), "completedAt").empty());
  require_problem(s.as(org.sales, "POST", "/api/tasks/" + task + "/complete"), 409);
  require_problem(s.as(org.manager, "POST", "/api/tasks/" + task + "/complete"), 409);
  CHECK(s.events("task.completed", task) == 1);

  // Two completions at once: one wins, the other is told it is DONE.
  const std::string raced = text_of(s.create_task(org.sales), "id");
  std::vector<int> statuses(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] {
      Http http(s.auth().host().port());
      statuses[i] = http.request("POST", "/api/tasks/" + raced + "/complete", "",
                                 {{"Authorization", bearer(org.sales.access_token)}})
                        .status;
    });
  for (auto& t : threads) t.join();
  CHECK(std::multiset<int>(statuses.begin(), statuses.end()) == std::multiset<int>{200, 409});
  CHECK(s.events("task.completed", raced) == 1);
}

// ---------------------------------------------------------------------------
// Due soon

TEST_CASE("the due-soon scan announces each OPEN task due within the window once, through concurrent and repeated "
          "scans and a restart",
          "[sales]") {
  SalesHost s; // plugin.sales.due_soon_window = 24h (config/crm-host.properties)
  Org org = make_org(s.auth());
  const std::string customer = s.create_customer(org.sales.id);
  using std::chrono::hours;
  const auto soon = s.create_task(org.sales, {{"customerId", customer}}, time_from_now(hours(1)));
  const std::string in_a_day = text_of(s.create_task(org.peer, {}, time_from_now(hours(20))), "id");
  const std::string later = text_of(s.create_task(org.sales, {}, time_from_now(hours(30))), "id");
  // DONE and deleted while out of the window (the host's own schedule may
  // scan at any time), then due soon.
  const std::string done = text_of(s.create_task(org.sales, {}, time_from_now(hours(40))), "id");
  REQUIRE(s.as(org.sales, "POST", "/api/tasks/" + done + "/complete").status == 200);
  const std::string deleted = text_of(s.create_task(org.sales, {}, time_from_now(hours(40))), "id");
  REQUIRE(s.as(org.sales, "DELETE", "/api/tasks/" + deleted).status == 204);
  s.sql().query("update sales.tasks set due_at = now() + interval '2 hours' where id in ($1::uuid, $2::uuid)",
                {done, deleted});
  const std::string soon_id = text_of(soon, "id");

  // Only an ADMIN (or the host's schedule) runs it.
  require_problem(s.as(org.sales, "POST", "/api/tasks/scan-due"), 403);
  require_problem(s.as(org.manager, "POST", "/api/tasks/scan-due"), 403);

  auto concurrent_scans = [&] {
    std::atomic<int> ready{0};
    std::vector<int> statuses(2);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
      threads.emplace_back([&, i] {
        ++ready;
        while (ready < 2) std::this_thread::yield();
        statuses[i] = s.scan_due();
      });
    for (auto& t : threads) t.join();
    CHECK(statuses == std::vector<int>{200, 200});
  };
  for (int round = 0; round < 3; ++round) concurrent_scans();
  CHECK(s.events("task.due_soon", soon_id) == 1);
  CHECK(s.events("task.due_soon", in_a_day) == 1);

  s.restart();
  concurrent_scans();
  CHECK(s.scan_due() == 200);

  CHECK(s.events("task.due_soon", soon_id) == 1);
  CHECK(s.events("task.due_soon", in_a_day) == 1);
  CHECK(s.events("task.due_soon", later) == 0);
  CHECK(s.events("task.due_soon", done) == 0);
  CHECK(s.events("task.due_soon", deleted) == 0);
  CHECK(s.events("task.due_soon") == 2);

  auto rows =
      s.sql().query("select data::text from sales.crm_outbox where type = 'task.due_soon' and subject = $1", {soon_id});
  REQUIRE(rows.size() == 1);
  Poco::JSON::Parser parser;
  auto data = parser.parse(*rows[0][0]).extract<Poco::JSON::Object::Ptr>();
  CHECK(text_of(data, "id") == soon_id);
  CHECK(text_of(data, "assigneeId") == org.sales.id);
  CHECK(text_of(data, "title") == text_of(soon, "title"));
  CHECK(text_of(data, "dueAt") == text_of(soon, "dueAt"));
  CHECK(text_of(data, "customerId") == customer);
}

TEST_CASE("a task whose due date moves is announced again only when it re-enters the window", "[sales]") {
  SalesHost s({{}, {"plugin.sales.due_soon_window = 2h"}, {}});
  Org org = make_org(s.auth());
  using std::chrono::hours;
  const std::string task = text_of(s.create_task(org.sales, {}, time_from_now(hours(1))), "id");
  const std::string path = "/api/tasks/" + task;
  auto patch = [&](const Fields& fields) {
    auto r = s.as(org.sales, "PATCH", path, body_of(fields));
    INFO(r.body);
    REQUIRE(r.status == 200);
  };

  REQUIRE(s.scan_due() == 200);
  CHECK(s.events("task.due_soon", task) == 1);
  patch({{"dueAt", time_from_now(hours(5))}}); // out of the 2h window
  REQUIRE(s.scan_due() == 200);
  CHECK(s.events("task.due_soon", task) == 1);
  patch({{"title", "Renamed"}});
  REQUIRE(s.scan_due() == 200);
  CHECK(s.events("task.due_soon", task) == 1);
  patch({{"dueAt", time_from_now(hours(1) + std::chrono::minutes(30))}}); // back in
  REQUIRE(s.scan_due() == 200);
  REQUIRE(s.scan_due() == 200);
  CHECK(s.events("task.due_soon", task) == 2);
}

// ---------------------------------------------------------------------------
// Lists and stats

TEST_CASE("task and meeting lists page with a cursor and filter by status, due date and assignee", "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  using std::chrono::hours;
  std::vector<std::string> in_due_order;
  for (int i = 0; i < 5; ++i)
    in_due_order.push_back(text_of(s.create_task(org.sales, {}, time_from_now(hours(10 + i))), "id"));
  const std::string peers = text_of(s.create_task(org.peer, {}, time_from_now(hours(1))), "id");
  REQUIRE(s.as(org.sales, "POST", "/api/tasks/" + in_due_order[4] + "/complete").status == 200);

  // Pages of two, in due order, without gaps or repeats.
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = s.as(org.sales, "GET", "/api/tasks?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(r.body);
    REQUIRE(r.status == 200);
    for (const auto& id : AuthHost::ids_of(r)) seen.push_back(id);
    cursor = text_of(r.json(), "nextCursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(seen == in_due_order);
  CHECK(pages == 3);

  CHECK(s.listed(org.sales, "/api/tasks?status=DONE") == std::set<std::string>{in_due_order[4]});
  CHECK(s.listed(org.sales, "/api/tasks?status=OPEN").size() == 4);
  CHECK(s.listed(org.sales, "/api/tasks?dueBefore=" + time_from_now(std::chrono::minutes(11 * 60 + 30))) ==
        std::set<std::string>{in_due_order[0], in_due_order[1]});
  CHECK(s.listed(org.manager, "/api/tasks?assigneeId=" + org.peer.id) == std::set<std::string>{peers});
  CHECK(s.listed(org.sales, "/api/tasks?assigneeId=" + org.peer.id).empty());

  CHECK(fields_of(s.as(org.sales, "GET", "/api/tasks?limit=0")) == std::vector<std::string>{"limit"});
  CHECK(fields_of(s.as(org.sales, "GET", "/api/tasks?limit=201")) == std::vector<std::string>{"limit"});
  CHECK(fields_of(s.as(org.sales, "GET", "/api/tasks?status=LATE")) == std::vector<std::string>{"status"});
  CHECK(fields_of(s.as(org.sales, "GET", "/api/tasks?dueBefore=soon")) == std::vector<std::string>{"dueBefore"});
  CHECK(fields_of(s.as(org.sales, "GET", "/api/tasks?cursor=bogus")) == std::vector<std::string>{"cursor"});
  CHECK(fields_of(s.as(org.sales, "GET", "/api/meetings?cursor=bogus")) == std::vector<std::string>{"cursor"});

  // Meetings page the same way, by scheduledAt.
  const std::string customer = s.create_customer(org.sales.id);
  std::vector<std::string> meetings;
  for (int i = 0; i < 3; ++i)
    meetings.push_back(text_of(s.create_meeting(org.sales, customer, {}, time_from_now(hours(5 - i))), "id"));
  auto first = s.as(org.sales, "GET", "/api/meetings?limit=2");
  REQUIRE(first.status == 200);
  CHECK(AuthHost::ids_of(first) == std::vector<std::string>{meetings[2], meetings[1]});
  auto second = s.as(org.sales, "GET", "/api/meetings?limit=2&cursor=" + text_of(first.json(), "nextCursor"));
  REQUIRE(second.status == 200);
  CHECK(AuthHost::ids_of(second) == std::vector<std::string>{meetings[0]});
  CHECK(second.json()->isNull("nextCursor"));
}

TEST_CASE("stats count the meetings and tasks in the caller's scope: tasks by status and overdue", "[sales]") {
  SalesHost s;
  Org org = make_org(s.auth());
  using std::chrono::hours;
  const std::string customer = s.create_customer(org.sales.id);
  s.create_meeting(org.sales, customer, {}, time_from_now(hours(24)));
  s.create_meeting(org.sales, customer, {}, time_from_now(-hours(24)));
  s.create_task(org.sales, {}, time_from_now(-hours(2))); // overdue
  const std::string done = text_of(s.create_task(org.sales, {}, time_from_now(-hours(3))), "id");
  REQUIRE(s.as(org.sales, "POST", "/api/tasks/" + done + "/complete").status == 200);
  s.create_task(org.peer, {}, time_from_now(hours(5)));
  s.create_task(org.other_sales, {}, time_from_now(-hours(5)));

  auto stats = [&](const Account& who, const std::string& path) {
    auto r = s.as(who, "GET", path);
    INFO(path << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.json();
  };
  auto m = stats(org.sales, "/api/meetings/stats");
  CHECK(m->getValue<int>("total") == 2);
  CHECK(m->getValue<int>("upcoming") == 1);
  CHECK(m->getValue<int>("past") == 1);
  CHECK(stats(org.peer, "/api/meetings/stats")->getValue<int>("total") == 0);

  auto t = stats(org.sales, "/api/tasks/stats");
  CHECK(t->getValue<int>("total") == 2);
  CHECK(t->getObject("byStatus")->getValue<int>("OPEN") == 1);
  CHECK(t->getObject("byStatus")->getValue<int>("DONE") == 1);
  CHECK(t->getValue<int>("overdue") == 1);
  auto team = stats(org.manager, "/api/tasks/stats");
  CHECK(team->getValue<int>("total") == 3);
  CHECK(team->getValue<int>("overdue") == 1);
  auto all = stats(s.admin(), "/api/tasks/stats");
  CHECK(all->getValue<int>("total") == 4);
  CHECK(all->getValue<int>("overdue") == 2);
}

// ---------------------------------------------------------------------------
// Saga operations, called by a real workflow (they are system-only)

namespace {

// A saga moving `fromUserId`'s meetings and tasks to `toUserId`, then, when
// the input says fail, failing its last step so both are compensated.
constexpr const char* kReassignSaga = R"lua(
return saga "sales_reassign_check" {
  trigger = manual,
  steps = {
    step "meetings" {
      call = "sales.reassign_meetings", compensate = "sales.reassign_meetings",
      input = function(ctx) return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId } end,
      compensate_input = function(ctx)
        local r = ctx.results.meetings
        return { fromUserId = r.toUserId, toUserId = r.fromUserId, ids = r.moved }
      end,
    },
    step "tasks" {
      call = "sales.reassign_tasks", compensate = "sales.reassign_tasks",
      input = function(ctx) return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId } end,
      compensate_input = function(ctx)
        local r = ctx.results.tasks
        return { fromUserId = r.toUserId, toUserId = r.fromUserId, ids = r.moved }
      end,
    },
    step "last" {
      call = "sales.reassign_tasks",
      input = function(ctx)
        if ctx.input.fail then return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.fromUserId } end
        return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId, ids = {} }
      end,
      retry = { attempts = 1 },
    },
  },
}
)lua";

constexpr const char* kCustomerDeletionSaga = R"lua(
return saga "sales_customer_check" {
  trigger = manual,
  steps = {
    step "activity" {
      call = "sales.delete_customer_activity", compensate = "sales.restore_customer_activity",
      input = function(ctx) return { customerId = ctx.input.customerId } end,
    },
    step "last" {
      call = "sales.reassign_tasks",
      input = function(ctx)
        local u = ctx.input.userId
        if ctx.input.fail then return { fromUserId = u, toUserId = u } end
        return { fromUserId = u, toUserId = ctx.input.otherId, ids = {} }
      end,
      retry = { attempts = 1 },
    },
  },
}
)lua";

void put_workflow(SalesHost& s, const std::string& name, const std::string& source) {
  // The PUT also writes workflows/<name>.lua under the host's folder.
  fs::create_directories(s.auth().host().dir() / "workflows");
  auto r = s.auth().http().request("PUT", "/api/workflows/" + name, source,
                                   {{"Authorization", bearer(s.admin().access_token)}, {"Content-Type", "text/x-lua"}});
  INFO("PUT /api/workflows/" << name << " -> " << r.status << " " << r.body);
  REQUIRE(r.status / 100 == 2);
}

// Starts `name` with `input` and waits for it to end; the instance.
Poco::JSON::Object::Ptr run_workflow(SalesHost& s, const std::string& name, const std::string& input,
                                     const std::string& expected_status) {
  auto started = s.as(s.admin(), "POST", "/api/workflows/" + name + "/instances", "{\"input\":" + input + "}");
  INFO(started.body);
  REQUIRE(started.status == 201);
  const std::string id = text_of(started.json(), "id");
  Poco::JSON::Object::Ptr last;
  const bool ended = eventually(
      [&] {
        auto r = s.as(s.admin(), "GET", "/api/workflow-instances/" + id);
        if (r.status != 200) return false;
        last = r.json();
        const std::string status = text_of(last, "status");
        return status != "RUNNING" && status != "WAITING";
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100));
  INFO("instance: " << (last ? json_of(*last) : std::string("never read")));
  REQUIRE(ended);
  CHECK(text_of(last, "status") == expected_status);
  return last;
}

std::vector<std::string> strings_of(const Poco::JSON::Array::Ptr& array) {
  std::vector<std::string> out;
  for (size_t i = 0; array && i < array->size(); ++i)
    out.push_back(array->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

std::map<std::string, std::string> owners(Sql& sql, const std::string& table, const std::string& column) {
  std::map<std::string, std::string> out;
  for (const auto& row : sql.query("select id::text, " + column + "::text from sales." + table)) out[*row[0]] = *row[1];
  return out;
}

} // namespace

TEST_CASE("the reassignment operations move future meetings and OPEN tasks in batches, and undo exactly that",
          "[sales]") {
  AuthHostOptions options;
  options.env = {{"CRM_WORKFLOWS_POLL_MS", "100"}, {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"}};
  SalesHost s(options);
  Org org = make_org(s.auth());
  using std::chrono::hours;
  const std::string customer = s.create_customer(org.sales.id);
  const std::string past = text_of(s.create_meeting(org.sales, customer, {}, time_from_now(-hours(2))), "id");
  const std::string future = text_of(s.create_meeting(org.sales, customer), "id");
  const std::string open = text_of(s.create_task(org.sales), "id");
  const std::string done = text_of(s.create_task(org.sales), "id");
  REQUIRE(s.as(org.sales, "POST", "/api/tasks/" + done + "/complete").status == 200);
  const std::string peers = text_of(s.create_task(org.peer), "id");
  // A large owner: more meetings than one statement moves.
  auto sql = s.sql();
  sql.query("insert into sales.meetings (customer_id, owner_id, title, scheduled_at) "
            "select $1::uuid, $2::uuid, 'Bulk ' || n, now() + n * interval '1 minute' "
            "from generate_series(1, 2500) n",
            {customer, org.sales.id});
  const auto meetings_before = owners(sql, "meetings", "owner_id");
  const auto tasks_before = owners(sql, "tasks", "assignee_id");

  put_workflow(s, "sales_reassign_check", kReassignSaga);
  const std::string input = body_of({{"fromUserId", org.sales.id}, {"toUserId", org.peer.id}, {"fail", true}});
  auto failed = run_workflow(s, "sales_reassign_check", input, "COMPENSATED");
  auto moved = failed->getObject("vars")->getObject("results")->getObject("meetings")->getArray("moved");
  REQUIRE(moved);
  CHECK(moved->size() == 2501);
  CHECK(owners(sql, "meetings", "owner_id") == meetings_before);
  CHECK(owners(sql, "tasks", "assignee_id") == tasks_before);

  run_workflow(s, "sales_reassign_check",
               body_of({{"fromUserId", org.sales.id}, {"toUserId", org.peer.id}, {"fail", false}}), "COMPLETED");
  auto meetings_after = owners(sql, "meetings", "owner_id");
  auto tasks_after = owners(sql, "tasks", "assignee_id");
  CHECK(meetings_after[past] == org.sales.id);
  CHECK(meetings_after[future] == org.peer.id);
  CHECK(sql.count("select count(*) from sales.meetings where owner_id = $1::uuid", {org.peer.id}) == 2501);
  CHECK(tasks_after[open] == org.peer.id);
  CHECK(tasks_after[done] == org.sales.id);
  CHECK(tasks_after[peers] == org.peer.id);
}

TEST_CASE("deleting a customer's activity hides its future meetings and OPEN tasks - the compensation brings back "
          "exactly those",
          "[sales]") {
  AuthHostOptions options;
  options.env = {{"CRM_WORKFLOWS_POLL_MS", "100"}, {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"}};
  SalesHost s(options);
  Org org = make_org(s.auth());
  using std::chrono::hours;
  const std::string customer = s.create_customer(org.sales.id);
  const std::string other_customer = s.create_customer(org.sales.id);
  const std::string past = text_of(s.create_meeting(org.sales, customer, {}, time_from_now(-hours(2))), "id");
  const std::string future = text_of(s.create_meeting(org.sales, customer), "id");
  const std::string deleted_before = text_of(s.create_meeting(org.sales, customer), "id");
  REQUIRE(s.as(org.sales, "DELETE", "/api/meetings/" + deleted_before).status == 204);
  const std::string unrelated = text_of(s.create_meeting(org.sales, other_customer), "id");
  const std::string open = text_of(s.create_task(org.sales, {{"customerId", customer}}), "id");
  const std::string done = text_of(s.create_task(org.sales, {{"customerId", customer}}), "id");
  REQUIRE(s.as(org.sales, "POST", "/api/tasks/" + done + "/complete").status == 200);

  put_workflow(s, "sales_customer_check", kCustomerDeletionSaga);
  auto visible = [&] {
    std::set<std::string> ids = s.listed(org.sales, "/api/meetings");
    for (const auto& id : s.listed(org.sales, "/api/tasks")) ids.insert(id);
    return ids;
  };
  const std::set<std::string> before = visible();
  REQUIRE(before == std::set<std::string>{past, future, unrelated, open, done});

  auto undone = run_workflow(
      s, "sales_customer_check",
      body_of({{"customerId", customer}, {"userId", org.sales.id}, {"otherId", org.peer.id}, {"fail", true}}),
      "COMPENSATED");
  auto result = undone->getObject("vars")->getObject("results")->getObject("activity");
  CHECK(strings_of(result->getArray("meetings")) == std::vector<std::string>{future});
  CHECK(strings_of(result->getArray("tasks")) == std::vector<std::string>{open});
  CHECK(visible() == before);
  require_problem(s.as(org.sales, "GET", "/api/meetings/" + deleted_before), 404);

  run_workflow(s, "sales_customer_check",
               body_of({{"customerId", customer}, {"userId", org.sales.id}, {"otherId", org.peer.id}, {"fail", false}}),
               "COMPLETED");
  CHECK(visible() == std::set<std::string>{past, unrelated, done});
}

namespace {

// The batched form: each step moves a batch per call under a transfer named
// after the instance, and its compensation moves back exactly that transfer.
constexpr const char* kBatchedReassignSaga = R"lua(
local function moving(ctx, kind)
  return { fromUserId = ctx.input.fromUserId, toUserId = ctx.input.toUserId,
           transfer = ctx.instance .. ":" .. kind, limit = 1000 }
end
local function back(kind) return function(ctx) return { transfer = ctx.instance .. ":" .. kind, limit = 1000 } end end
return saga "batched_reassign_check" {
  trigger = manual,
  steps = {
    step "customers" { call = "customer.reassign_owner", compensate = "customer.reassign_back", batched = true,
      input = function(ctx) return moving(ctx, "customers") end, compensate_input = back("customers") },
    step "meetings" { call = "sales.reassign_meetings", compensate = "sales.reassign_back", batched = true,
      input = function(ctx) return moving(ctx, "meetings") end, compensate_input = back("meetings") },
    step "tasks" { call = "sales.reassign_tasks", compensate = "sales.reassign_back", batched = true,
      input = function(ctx) return moving(ctx, "tasks") end, compensate_input = back("tasks") },
    step "last" {
      call = "sales.count_owned",
      input = function(ctx)
        if ctx.input.fail then return {} end -- refused: no userId
        return { userId = ctx.input.toUserId }
      end,
    },
  },
}
)lua";

} // namespace

TEST_CASE("a batched reassignment moves an owner's records a batch per call and its compensation moves back exactly "
          "those",
          "[sales][batches]") {
  AuthHostOptions options;
  options.env = {{"CRM_WORKFLOWS_POLL_MS", "100"}, {"CRM_WORKFLOWS_WATCH_INTERVAL_MS", "100"}};
  SalesHost s(options);
  Org org = make_org(s.auth());
  const std::string customer = s.create_customer(org.sales.id);
  const std::string peers_customer = s.create_customer(org.peer.id);
  const std::string peers_task = text_of(s.create_task(org.peer), "id");
  auto sql = s.sql();
  sql.query("insert into customer.customers (name, owner_id) select 'Bulk ' || n, $1::uuid from generate_series(1, 2100) n",
            {org.sales.id});
  sql.query("insert into sales.meetings (customer_id, owner_id, title, scheduled_at) "
            "select $1::uuid, $2::uuid, 'Bulk ' || n, now() + n * interval '1 minute' from generate_series(1, 1500) n",
            {customer, org.sales.id});
  sql.query("insert into sales.tasks (assignee_id, title, due_at) "
            "select $1::uuid, 'Bulk ' || n, now() + interval '3 days' from generate_series(1, 2000) n",
            {org.sales.id});
  const auto customers_before = [&] {
    std::map<std::string, std::string> out;
    for (const auto& row : sql.query("select id::text, owner_id::text from customer.customers")) out[*row[0]] = *row[1];
    return out;
  };
  const auto before_customers = customers_before();
  const auto before_meetings = owners(sql, "meetings", "owner_id");
  const auto before_tasks = owners(sql, "tasks", "assignee_id");

  put_workflow(s, "batched_reassign_check", kBatchedReassignSaga);
  auto undone = run_workflow(s, "batched_reassign_check",
                             body_of({{"fromUserId", org.sales.id}, {"toUserId", org.peer.id}, {"fail", true}}),
                             "COMPENSATED");
  CHECK(customers_before() == before_customers);
  CHECK(owners(sql, "meetings", "owner_id") == before_meetings);
  CHECK(owners(sql, "tasks", "assignee_id") == before_tasks);
  CHECK(sql.count("select count(*) from customer.transfers") == 0);
  CHECK(sql.count("select count(*) from sales.transfers") == 0);

  auto done = run_workflow(s, "batched_reassign_check",
                           body_of({{"fromUserId", org.sales.id}, {"toUserId", org.peer.id}, {"fail", false}}),
                           "COMPLETED");
  auto results = done->getObject("vars")->getObject("results");
  CHECK(results->getObject("customers")->getValue<int>("count") == 2101);
  CHECK(results->getObject("meetings")->getValue<int>("count") == 1500);
  CHECK(results->getObject("tasks")->getValue<int>("count") == 2000);
  CHECK(results->getObject("last")->getValue<int>("tasks") == 2001); // with the peer's own
  CHECK(sql.count("select count(*) from customer.customers where owner_id = $1::uuid", {org.sales.id}) == 0);
  CHECK(sql.count("select count(*) from customer.customers where owner_id = $1::uuid", {org.peer.id}) == 2102);
  CHECK(sql.count("select count(*) from sales.tasks where assignee_id = $1::uuid and status = 'OPEN'", {org.sales.id}) == 0);
  CHECK(owners(sql, "tasks", "assignee_id")[peers_task] == org.peer.id);
  // Each batch is its own step record: the customers moved in three calls.
  int customer_batches = 0;
  auto steps = done->getArray("steps");
  for (size_t i = 0; i < steps->size(); ++i)
    customer_batches += starts_with(text_of(steps->getObject(static_cast<unsigned>(i)), "name"), "customers #");
  CHECK(customer_batches >= 3);
  CHECK(sql.count("select count(*) from customer.customers where id = $1::uuid and owner_id = $2::uuid",
                  {peers_customer, org.peer.id}) == 1);
}
