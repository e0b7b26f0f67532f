// The customer plugin against a real host (with the real auth plugin for users,
// teams and tokens) and real PostgreSQL: record rules over every route (SALES
// its own, MANAGER its team's, ADMIN all; invisible is 404), CRUD with soft
// delete and events in the outbox, search and filters, keyset paging while
// customers are being added, stats, bad input that changes nothing, and
// customer.reassign_owner driven by a real workflow.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace itest;

namespace {

// AuthHost (the real auth plugin: users, teams, tokens) whose plugin folder
// holds the customer plugin too, so both load at start. The host creates
// pg_trgm for the search indexes before plugins migrate.
AuthHostOptions with_customer_plugin() {
  AuthHostOptions options;
  const fs::path dir = make_temp_dir("crm-customer-plugins-");
  for (const char* name : {"auth", "customer"}) copy_shipped_plugin(name, dir);
  options.env["CRM_PLUGINS_DIR"] = dir.string();
  // Workflows (the reassignment test) start and move on without delay.
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  options.env["CRM_WORKFLOWS_HOST_ID"] = "itest-" + random_uuid().substr(0, 8);
  return options;
}

class CustomerHost {
public:
  CustomerHost() : auth_(with_customer_plugin()) {
    auto entry = auth_.host().wait_for_plugin("customer.so", "LOADED", std::chrono::seconds(20));
    INFO(auth_.host().process().log_tail(40));
    REQUIRE(entry);
  }

  AuthHost& auth() { return auth_; }
  const Account& admin() const { return auth_.admin(); }
  Sql sql() { return auth_.host().sql(); }

  Response call(const std::string& method, const std::string& path, const std::string& body, const Account& as) {
    return auth_.call(method, path, body, as.access_token);
  }
  Response get(const std::string& path, const Account& as) { return auth_.get(path, as.access_token); }

  // POST /api/customers as `as`; requires 201 and returns the customer.
  Poco::JSON::Object::Ptr create(const Account& as, const std::map<std::string, std::string>& fields) {
    auto r = call("POST", "/api/customers", body_of(fields), as);
    INFO("POST /api/customers " << body_of(fields) << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }
  std::string create_id(const Account& as, const std::map<std::string, std::string>& fields) {
    return text_of(create(as, fields), "id");
  }

  long long customer_rows() { return sql().count("select count(*) from customer.customers"); }
  long long outbox_rows() { return sql().count("select count(*) from customer.crm_outbox"); }

  static std::string body_of(const std::map<std::string, std::string>& fields) {
    Poco::JSON::Object o;
    for (const auto& [k, v] : fields) o.set(k, v);
    return json_of(o);
  }

private:
  AuthHost auth_;
};

// boss (MANAGER) <- rep (SALES), peer (SALES)
// rival_boss (MANAGER) <- rival (SALES)
struct Org {
  Account boss, rep, peer, rival_boss, rival;
};

Org make_org(CustomerHost& h) {
  AuthHost& auth = h.auth();
  Org o;
  o.boss = auth.create_user("MANAGER");
  o.rep = auth.create_user("SALES", o.boss.id);
  o.peer = auth.create_user_only("SALES", o.boss.id);
  o.rival_boss = auth.create_user_only("MANAGER");
  o.rival = auth.create_user_only("SALES", o.rival_boss.id);
  return o;
}

std::vector<std::string> item_ids(const Response& r) { return AuthHost::ids_of(r); }

std::set<std::string> listed(CustomerHost& h, const std::string& query, const Account& as) {
  auto r = h.get("/api/customers" + query, as);
  INFO("GET /api/customers" << query << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto ids = item_ids(r);
  return {ids.begin(), ids.end()};
}

// Before a test's bulk insert: an autovacuum worker busy in the test's
// database at its end would keep the database from being dropped.
void without_autovacuum(Sql& sql) { sql.exec("alter table customer.customers set (autovacuum_enabled = false)"); }

std::string profile_body() {
  return R"({"riskTolerance":"MEDIUM","experienceYears":5,"annualIncome":85000.5,"goals":["retirement","house"]})";
}

} // namespace

TEST_CASE("each role reaches exactly its own, its team's or every customer on every customer route", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const Account& admin = h.admin();

  // Whose customers count as "own", "team" and "other" for each caller.
  struct Caller {
    const Account* who;
    std::string own, team, other; // owner ids
  };
  const std::vector<Caller> callers = {
      {&org.rep, org.rep.id, org.peer.id, org.rival.id},
      {&org.boss, org.boss.id, org.rep.id, org.rival.id},
      {&admin, admin.id, org.rep.id, org.rival.id},
  };
  // Expected status for own, team, other, per route and role (SALES, MANAGER, ADMIN).
  struct Route {
    std::string method, suffix, body;
    bool with_profile; // the customer gets an investment profile first
    std::array<std::array<int, 3>, 3> expected;
  };
  const std::vector<Route> routes = {
      {"GET", "", "", false, {{{200, 404, 404}, {200, 200, 404}, {200, 200, 200}}}},
      {"PATCH", "", R"({"status":"ACTIVE"})", false, {{{200, 404, 404}, {200, 200, 404}, {200, 200, 200}}}},
      {"GET", "/investment-profile", "", true, {{{200, 404, 404}, {200, 200, 404}, {200, 200, 200}}}},
      {"PUT", "/investment-profile", profile_body(), false, {{{200, 404, 404}, {200, 200, 404}, {200, 200, 200}}}},
      {"DELETE", "", "", false, {{{403, 403, 403}, {202, 202, 404}, {202, 202, 202}}}},
  };

  for (size_t c = 0; c < callers.size(); ++c) {
    const Caller& caller = callers[c];
    for (const Route& route : routes) {
      const std::array<std::string, 3> owners = {caller.own, caller.team, caller.other};
      for (size_t k = 0; k < owners.size(); ++k) {
        const std::string id =
            h.create_id(admin, {{"name", "Matrix " + route.method + route.suffix}, {"ownerId", owners[k]}});
        if (route.with_profile)
          REQUIRE(h.call("PUT", "/api/customers/" + id + "/investment-profile", profile_body(), admin).status == 200);
        auto r = h.call(route.method, "/api/customers/" + id + route.suffix, route.body, *caller.who);
        static const char* const kWhose[] = {"own", "team", "other"};
        INFO(caller.who->role << " " << route.method << " " << route.suffix << " on " << kWhose[k] << " -> " << r.status
                              << " " << r.body);
        CHECK(r.status == route.expected[c][k]);
        if (route.expected[c][k] == 404) require_problem(r, 404);
      }
    }
  }
}

TEST_CASE("lists and stats hold only the customers in the caller's scope", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const Account& admin = h.admin();
  const std::string rep1 = h.create_id(org.rep, {{"name", "Rep one"}});
  const std::string rep2 = h.create_id(org.rep, {{"name", "Rep two"}, {"status", "ACTIVE"}});
  const std::string peer1 =
      h.create_id(admin, {{"name", "Peer one"}, {"ownerId", org.peer.id}, {"status", "INACTIVE"}});
  const std::string boss1 = h.create_id(org.boss, {{"name", "Boss one"}});
  const std::string rival1 = h.create_id(admin, {{"name", "Rival one"}, {"ownerId", org.rival.id}});
  const std::string rival2 = h.create_id(admin, {{"name", "Rival two"}, {"ownerId", org.rival.id}});

  CHECK(listed(h, "", org.rep) == std::set<std::string>{rep1, rep2});
  CHECK(listed(h, "", org.boss) == std::set<std::string>{rep1, rep2, peer1, boss1});
  CHECK(listed(h, "", admin) == std::set<std::string>{rep1, rep2, peer1, boss1, rival1, rival2});
  CHECK(listed(h, "?ownerId=" + org.rival.id, admin) == std::set<std::string>{rival1, rival2});
  // A filter on someone outside the scope finds nothing rather than leaking.
  CHECK(listed(h, "?ownerId=" + org.rival.id, org.boss).empty());
  CHECK(listed(h, "?ownerId=" + org.peer.id, org.boss) == std::set<std::string>{peer1});
  CHECK(listed(h, "?status=ACTIVE", org.boss) == std::set<std::string>{rep2});
  CHECK(listed(h, "?status=LEAD", admin) == std::set<std::string>{rep1, boss1, rival1, rival2});

  auto stats = [&](const std::string& query, const Account& as) {
    auto r = h.get("/api/customers/stats" + query, as);
    INFO("stats " << query << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.json();
  };
  auto count_of = [](const Poco::JSON::Object::Ptr& s, const std::string& status) {
    return s->getObject("byStatus")->getValue<long long>(status);
  };
  auto by_owner = [](const Poco::JSON::Object::Ptr& s) {
    std::map<std::string, long long> out;
    auto owners = s->getArray("byOwner");
    for (size_t i = 0; i < owners->size(); ++i) {
      auto o = owners->getObject(static_cast<unsigned>(i));
      out[text_of(o, "ownerId")] = o->getValue<long long>("total");
    }
    return out;
  };

  auto rep_stats = stats("", org.rep);
  CHECK(rep_stats->getValue<long long>("total") == 2);
  CHECK(count_of(rep_stats, "LEAD") == 1);
  CHECK(count_of(rep_stats, "ACTIVE") == 1);
  CHECK(count_of(rep_stats, "INACTIVE") == 0);
  CHECK(by_owner(rep_stats) == std::map<std::string, long long>{{org.rep.id, 2}});

  auto boss_stats = stats("", org.boss);
  CHECK(boss_stats->getValue<long long>("total") == 4);
  CHECK(count_of(boss_stats, "LEAD") == 2);
  CHECK(count_of(boss_stats, "INACTIVE") == 1);
  CHECK(by_owner(boss_stats) == std::map<std::string, long long>{{org.rep.id, 2}, {org.peer.id, 1}, {org.boss.id, 1}});

  auto admin_stats = stats("", admin);
  CHECK(admin_stats->getValue<long long>("total") == 6);
  CHECK(by_owner(admin_stats)[org.rival.id] == 2);
  CHECK(stats("?ownerId=" + org.rival.id, admin)->getValue<long long>("total") == 2);

  // A deleted customer counts no more.
  REQUIRE(h.call("DELETE", "/api/customers/" + peer1, "", org.boss).status == 202);
  auto after = stats("", org.boss);
  CHECK(after->getValue<long long>("total") == 3);
  CHECK(count_of(after, "INACTIVE") == 0);
  CHECK(by_owner(after).count(org.peer.id) == 0);
}

TEST_CASE("only a MANAGER or ADMIN gives a customer to someone else, a MANAGER only within its team", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const Account& admin = h.admin();

  auto post = [&](const Account& as, const std::string& owner) {
    return h.call("POST", "/api/customers", CustomerHost::body_of({{"name", "Owned"}, {"ownerId", owner}}), as);
  };
  const long long before = h.customer_rows();
  require_problem(post(org.rep, org.peer.id), 403);
  require_problem(post(org.boss, org.rival.id), 403);
  require_problem(post(org.boss, admin.id), 403);
  CHECK(h.customer_rows() == before);

  // The default owner is the caller.
  CHECK(text_of(h.create(org.rep, {{"name", "Mine"}}), "ownerId") == org.rep.id);
  CHECK(text_of(h.create(org.rep, {{"name", "Mine too"}, {"ownerId", org.rep.id}}), "ownerId") == org.rep.id);
  CHECK(text_of(h.create(org.boss, {{"name", "For rep"}, {"ownerId", org.rep.id}}), "ownerId") == org.rep.id);
  CHECK(text_of(h.create(admin, {{"name", "For rival"}, {"ownerId", org.rival.id}}), "ownerId") == org.rival.id);
  // Nobody may own a customer who is not an active user.
  auto ghost = post(admin, random_uuid());
  CHECK(error_fields(require_problem(ghost, 422)) == std::vector<std::string>{"ownerId"});

  // The same rules for a change of owner.
  const std::string id = h.create_id(org.rep, {{"name", "Handed over"}});
  auto patch_owner = [&](const Account& as, const std::string& owner) {
    return h.call("PATCH", "/api/customers/" + id, CustomerHost::body_of({{"ownerId", owner}}), as);
  };
  require_problem(patch_owner(org.rep, org.peer.id), 403);
  require_problem(patch_owner(org.boss, org.rival.id), 403);
  auto moved = patch_owner(org.boss, org.peer.id);
  INFO(moved.body);
  REQUIRE(moved.status == 200);
  CHECK(text_of(moved.json(), "ownerId") == org.peer.id);
  // The former owner no longer sees it.
  require_problem(h.get("/api/customers/" + id, org.rep), 404);
}

TEST_CASE("a customer is created, read, changed and soft-deleted, each change with its event", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);

  auto created = h.create(org.rep, {{"name", "Ada Lovelace"},
                                    {"email", "ada@example.com"},
                                    {"phone", "+44 20 7946 0000"},
                                    {"company", "Analytical Engines"}});
  const std::string id = text_of(created, "id");
  CHECK(text_of(created, "name") == "Ada Lovelace");
  CHECK(text_of(created, "email") == "ada@example.com");
  CHECK(text_of(created, "phone") == "+44 20 7946 0000");
  CHECK(text_of(created, "company") == "Analytical Engines");
  CHECK(text_of(created, "status") == "LEAD");
  CHECK(text_of(created, "ownerId") == org.rep.id);
  CHECK(!text_of(created, "createdAt").empty());
  CHECK(!text_of(created, "updatedAt").empty());

  auto got = h.get("/api/customers/" + id, org.rep);
  REQUIRE(got.status == 200);
  CHECK(json_of(*got.json()) == json_of(*created));

  auto patched =
      h.call("PATCH", "/api/customers/" + id, R"({"name":"Ada King","phone":null,"status":"ACTIVE"})", org.rep);
  INFO(patched.body);
  REQUIRE(patched.status == 200);
  auto p = patched.json();
  CHECK(text_of(p, "name") == "Ada King");
  CHECK(p->isNull("phone"));
  CHECK(text_of(p, "status") == "ACTIVE");
  CHECK(text_of(p, "email") == "ada@example.com"); // untouched
  CHECK(text_of(p, "updatedAt") >= text_of(created, "updatedAt"));
  // The read after a change shows the change (whatever was cached before).
  auto reread = h.get("/api/customers/" + id, org.rep);
  REQUIRE(reread.status == 200);
  CHECK(text_of(reread.json(), "name") == "Ada King");

  auto deleted = h.call("DELETE", "/api/customers/" + id, "", org.boss);
  INFO(deleted.body);
  REQUIRE(deleted.status == 202);
  CHECK(text_of(deleted.json(), "id") == id);
  CHECK(deleted.json()->getValue<bool>("deleted"));

  require_problem(h.get("/api/customers/" + id, org.rep), 404);
  require_problem(h.get("/api/customers/" + id, h.admin()), 404);
  require_problem(h.call("PATCH", "/api/customers/" + id, R"({"name":"Back"})", org.rep), 404);
  require_problem(h.call("DELETE", "/api/customers/" + id, "", h.admin()), 404);
  require_problem(h.get("/api/customers/" + id + "/investment-profile", org.rep), 404);
  CHECK(listed(h, "", h.admin()).count(id) == 0);
  // Soft: the row is still there, marked.
  auto sql = h.sql();
  CHECK(sql.count("select count(*) from customer.customers where id = $1 and deleted_at is not null", {id}) == 1);

  // One event per change, in the same transactions, about this customer.
  auto events = sql.query("select type, subject, data::text from customer.crm_outbox order by seq");
  REQUIRE(events.size() == 3);
  CHECK(*events[0][0] == "customer.created");
  CHECK(*events[0][1] == id);
  Poco::JSON::Parser parser;
  auto created_data = parser.parse(*events[0][2]).extract<Poco::JSON::Object::Ptr>();
  CHECK(text_of(created_data, "name") == "Ada Lovelace");
  CHECK(text_of(created_data, "ownerId") == org.rep.id);

  CHECK(*events[1][0] == "customer.updated");
  CHECK(*events[1][1] == id);
  auto updated_data = parser.parse(*events[1][2]).extract<Poco::JSON::Object::Ptr>();
  CHECK(text_of(updated_data, "name") == "Ada King");
  std::set<std::string> changed;
  auto changed_array = updated_data->getArray("changed");
  REQUIRE(changed_array);
  for (size_t i = 0; i < changed_array->size(); ++i)
    changed.insert(changed_array->getElement<std::string>(static_cast<unsigned>(i)));
  CHECK(changed == std::set<std::string>{"name", "phone", "status"});

  CHECK(*events[2][0] == "customer.deleted");
  CHECK(*events[2][1] == id);
  auto deleted_data = parser.parse(*events[2][2]).extract<Poco::JSON::Object::Ptr>();
  CHECK(text_of(deleted_data, "id") == id);
  CHECK(text_of(deleted_data, "ownerId") == org.rep.id);
}

TEST_CASE("a customer is read from the cache once warm, still only by those who may see it, never stale",
          "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  Account stranger = h.auth().create_user("SALES", org.rival_boss.id);
  const std::string id = h.create_id(org.rep, {{"name", "Cached"}});
  auto hits = [&] {
    auto metrics = h.auth().http().get("/metrics").body;
    return metric_value(metrics, "crm_cache_requests", {{"plugin", "customer"}, {"result", "hit"}}).value_or(0);
  };
  auto name_seen_by = [&](const Account& as) {
    auto r = h.get("/api/customers/" + id, as);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return text_of(r.json(), "name");
  };

  CHECK(name_seen_by(org.rep) == "Cached"); // fills the cache
  const double warm = hits();
  CHECK(name_seen_by(org.rep) == "Cached");
  CHECK(name_seen_by(org.boss) == "Cached");
  require_problem(h.get("/api/customers/" + id, stranger), 404);
  CHECK(hits() == warm + 3);

  REQUIRE(h.call("PATCH", "/api/customers/" + id, R"({"name":"Renamed"})", org.rep).status == 200);
  CHECK(name_seen_by(org.rep) == "Renamed");
  CHECK(name_seen_by(org.boss) == "Renamed");
  REQUIRE(h.call("DELETE", "/api/customers/" + id, "", org.boss).status == 202);
  require_problem(h.get("/api/customers/" + id, org.rep), 404);
  require_problem(h.get("/api/customers/" + id, org.boss), 404);
}

TEST_CASE("a PATCH that changes nothing writes nothing and emits nothing", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  auto created = h.create(org.rep, {{"name", "Same"}, {"company", "Same Co"}});
  const std::string id = text_of(created, "id");
  const long long events = h.outbox_rows();
  auto r = h.call("PATCH", "/api/customers/" + id, R"({"name":"Same","company":"Same Co"})", org.rep);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(text_of(r.json(), "updatedAt") == text_of(created, "updatedAt"));
  CHECK(h.outbox_rows() == events);
}

TEST_CASE("an investment profile is stored whole and read back", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const std::string id = h.create_id(org.rep, {{"name", "Investor"}});
  auto none = require_problem(h.get("/api/customers/" + id + "/investment-profile", org.rep), 404);
  CHECK(contains(text_of(none, "detail"), "investment profile"));

  auto put = h.call("PUT", "/api/customers/" + id + "/investment-profile", profile_body(), org.rep);
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto got = h.get("/api/customers/" + id + "/investment-profile", org.rep);
  REQUIRE(got.status == 200);
  auto p = got.json();
  CHECK(text_of(p, "customerId") == id);
  CHECK(text_of(p, "riskTolerance") == "MEDIUM");
  CHECK(p->getValue<int>("experienceYears") == 5);
  CHECK(p->getValue<double>("annualIncome") == 85000.5);
  auto goals = p->getArray("goals");
  REQUIRE(goals);
  CHECK(goals->size() == 2);
  CHECK(goals->getElement<std::string>(0) == "retirement");

  // A second PUT replaces it, goals included.
  auto again = h.call("PUT", "/api/customers/" + id + "/investment-profile",
                      R"({"riskTolerance":"HIGH","experienceYears":0,"annualIncome":0,"goals":[]})", org.rep);
  REQUIRE(again.status == 200);
  auto q = h.get("/api/customers/" + id + "/investment-profile", org.rep).json();
  CHECK(text_of(q, "riskTolerance") == "HIGH");
  CHECK(q->getValue<int>("experienceYears") == 0);
  CHECK(q->getArray("goals")->size() == 0);
  CHECK(h.sql().count("select count(*) from customer.investment_profiles") == 1);
}

TEST_CASE("q finds customers by any case of a part of their name, email or company, within the scope", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const Account& admin = h.admin();
  const std::string by_name = h.create_id(org.rep, {{"name", "Grace HOPPER"}});
  const std::string by_email = h.create_id(org.rep, {{"name", "Someone"}, {"email", "g.hopper@navy.example"}});
  const std::string by_company = h.create_id(org.rep, {{"name", "Else"}, {"company", "Hopper Compilers Ltd"}});
  const std::string unrelated = h.create_id(org.rep, {{"name", "Alan Turing"}, {"company", "Bletchley"}});
  const std::string percent = h.create_id(org.rep, {{"name", "100% Pure"}, {"status", "ACTIVE"}});
  const std::string hidden = h.create_id(admin, {{"name", "Rival Hopper"}, {"ownerId", org.rival.id}});

  CHECK(listed(h, "?q=hopper", org.rep) == std::set<std::string>{by_name, by_email, by_company});
  CHECK(listed(h, "?q=HoPpEr", org.rep) == std::set<std::string>{by_name, by_email, by_company});
  CHECK(listed(h, "?q=navy.EXAMPLE", org.rep) == std::set<std::string>{by_email});
  CHECK(listed(h, "?q=opper%20comp", org.rep) == std::set<std::string>{by_company});
  CHECK(listed(h, "?q=hopper", admin) == std::set<std::string>{by_name, by_email, by_company, hidden});
  CHECK(listed(h, "?q=hopper&ownerId=" + org.rival.id, admin) == std::set<std::string>{hidden});
  // LIKE's wildcards are plain characters in q.
  CHECK(listed(h, "?q=0%25", org.rep) == std::set<std::string>{percent});
  CHECK(listed(h, "?q=_", org.rep).empty());
  CHECK(listed(h, "?q=pure&status=ACTIVE", org.rep) == std::set<std::string>{percent});
  CHECK(listed(h, "?q=pure&status=LEAD", org.rep).empty());
  CHECK(listed(h, "?q=", org.rep).size() == 5);
  (void)unrelated;
}

TEST_CASE("search by q is served by trigram indexes on name, email and company", "[customer]") {
  CustomerHost h;
  auto sql = h.sql();
  without_autovacuum(sql);
  sql.exec("insert into customer.customers (name, email, company, owner_id) "
           "select 'Customer ' || g, 'c' || g || '@example.com', 'Company ' || (g % 500), gen_random_uuid() "
           "from generate_series(1, 20000) g");
  // What autovacuum does in production: statistics, and the GIN pending
  // lists merged into the indexes (until then the planner rightly avoids them).
  sql.exec("vacuum analyze customer.customers");
  auto plan = sql.query("explain select id from customer.customers c where c.deleted_at is null and "
                        "(lower(c.name) like lower('%zebra%') or lower(c.email) like lower('%zebra%') or "
                        "lower(c.company) like lower('%zebra%'))");
  std::string text;
  for (const auto& row : plan) text += *row[0] + "\n";
  INFO(text);
  CHECK(contains(text, "customers_name_trgm_idx"));
  CHECK(contains(text, "customers_email_trgm_idx"));
  CHECK(contains(text, "customers_company_trgm_idx"));
  CHECK(!contains(text, "Seq Scan"));
}

TEST_CASE("paging walks every customer once, newest first, while others are being added", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  std::vector<std::string> existing;
  for (int i = 0; i < 23; ++i) existing.push_back(h.create_id(org.rep, {{"name", "Existing " + std::to_string(i)}}));

  // Another client adds customers all along; each page waits for one more.
  struct Adder {
    std::atomic<int> added{0};
    std::atomic<bool> stop{false};
    std::thread thread;
    Adder(int port, std::string token) {
      thread = std::thread([this, port, token] {
        Http http(port);
        while (!stop) {
          try {
            auto r = http.request("POST", "/api/customers", R"({"name":"Added meanwhile"})",
                                  {{"Authorization", bearer(token)}});
            if (r.status == 201) ++added;
          } catch (const std::exception&) {
            http.reset();
          }
        }
      });
    }
    ~Adder() {
      stop = true;
      thread.join();
    }
  } adder(h.auth().host().port(), org.rep.access_token);
  std::atomic<int>& added = adder.added;

  std::vector<std::string> seen;
  std::vector<std::string> created_at;
  std::string cursor;
  int pages = 0;
  for (;;) {
    const int before = added.load();
    auto r = h.get("/api/customers?limit=5" + (cursor.empty() ? std::string() : "&cursor=" + cursor), org.rep);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto page = r.json();
    auto items = page->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) {
      auto item = items->getObject(static_cast<unsigned>(i));
      seen.push_back(text_of(item, "id"));
      created_at.push_back(text_of(item, "createdAt"));
    }
    ++pages;
    if (page->isNull("nextCursor")) break;
    cursor = text_of(page, "nextCursor");
    REQUIRE(pages < 100);
    CHECK(items->size() == 5);
    REQUIRE(eventually([&] { return added.load() > before; }, std::chrono::seconds(10), std::chrono::milliseconds(5)));
  }
  CHECK(added.load() >= pages - 1);
  const std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());                           // no duplicates
  for (const auto& id : existing) CHECK(unique.count(id) == 1);  // no gaps
  CHECK(std::is_sorted(created_at.rbegin(), created_at.rend())); // newest first
}

TEST_CASE("a list pages by 50 unless told otherwise, and refuses a bad limit, cursor or filter", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  auto sql = h.sql();
  without_autovacuum(sql);
  sql.query("insert into customer.customers (name, owner_id, created_at) "
            "select 'Bulk ' || g, $1::uuid, now() - g * interval '1 second' from generate_series(1, 230) g",
            {org.rep.id});

  auto first = h.get("/api/customers", org.rep);
  REQUIRE(first.status == 200);
  CHECK(first.json()->getArray("items")->size() == 50);
  CHECK(!first.json()->isNull("nextCursor"));
  auto max = h.get("/api/customers?limit=200", org.rep);
  REQUIRE(max.status == 200);
  CHECK(max.json()->getArray("items")->size() == 200);
  auto rest = h.get("/api/customers?limit=200&cursor=" + text_of(max.json(), "nextCursor"), org.rep);
  REQUIRE(rest.status == 200);
  CHECK(rest.json()->getArray("items")->size() == 30);
  CHECK(rest.json()->isNull("nextCursor"));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"?limit=0", "limit"},
      {"?limit=201", "limit"},
      {"?limit=ten", "limit"},
      {"?limit=-1", "limit"},
      {"?cursor=not-a-cursor", "cursor"},
      {"?cursor=QUJD", "cursor"},
      {"?status=VIP", "status"},
      {"?ownerId=nobody", "ownerId"},
  };
  for (const auto& [query, field] : bad) {
    INFO(query);
    CHECK(error_fields(require_problem(h.get("/api/customers" + query, org.rep), 422)) ==
          std::vector<std::string>{field});
  }
  CHECK(error_fields(require_problem(h.get("/api/customers/not-a-uuid", org.rep), 422)) ==
        std::vector<std::string>{"id"});
  require_problem(h.get("/api/customers/" + random_uuid(), org.rep), 404);
}

TEST_CASE("bad input to POST, PATCH and PUT is a 422 on its field and changes nothing", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  const std::string id = h.create_id(org.rep, {{"name", "Untouched"}, {"email", "u@example.com"}});
  REQUIRE(h.call("PUT", "/api/customers/" + id + "/investment-profile", profile_body(), org.rep).status == 200);

  const std::string s201(201, 'x'), s255 = std::string(243, 'e') + "@example.com", s51(51, '1');
  std::string e201;
  for (int i = 0; i < 201; ++i) e201 += "\xC3\xA9"; // 201 characters, 402 bytes
  std::string e200 = e201.substr(2);

  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> post_cases = {
      {R"({})", "name"},
      {R"({"name":""})", "name"},
      {R"({"name":"   "})", "name"},
      {R"({"name":42})", "name"},
      {R"({"name":null})", "name"},
      {"{\"name\":\"" + s201 + "\"}", "name"},
      {"{\"name\":\"" + e201 + "\"}", "name"},
      {R"({"name":"A","email":"not-an-email"})", "email"},
      {"{\"name\":\"A\",\"email\":\"" + s255 + "\"}", "email"},
      {R"({"name":"A","email":7})", "email"},
      {"{\"name\":\"A\",\"phone\":\"" + s51 + "\"}", "phone"},
      {"{\"name\":\"A\",\"company\":\"" + s201 + "\"}", "company"},
      {R"({"name":"A","company":["x"]})", "company"},
      {R"({"name":"A","status":"VIP"})", "status"},
      {R"({"name":"A","status":"lead"})", "status"},
      {R"({"name":"A","ownerId":"me"})", "ownerId"},
      {R"({"name":"A","nickname":"B"})", "nickname"},
  };
  const std::vector<Case> patch_cases = {
      {R"({"name":""})", "name"},
      {R"({"name":"  "})", "name"},
      {R"({"name":null})", "name"},
      {"{\"name\":\"" + s201 + "\"}", "name"},
      {R"({"email":"nope"})", "email"},
      {"{\"phone\":\"" + s51 + "\"}", "phone"},
      {"{\"company\":\"" + s201 + "\"}", "company"},
      {R"({"status":"GONE"})", "status"},
      {R"({"status":null})", "status"},
      {R"({"ownerId":"x"})", "ownerId"},
      {R"({"ownerId":null})", "ownerId"},
      {R"({"createdAt":"2020-01-01T00:00:00Z"})", "createdAt"},
  };
  const std::string goals21 = [] {
    std::string s = "[";
    for (int i = 0; i < 21; ++i) s += std::string(i ? "," : "") + "\"g" + std::to_string(i) + "\"";
    return s + "]";
  }();
  auto profile = [](const std::string& risk, const std::string& years, const std::string& income,
                    const std::string& goals) {
    std::string out = "{";
    auto add = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      if (out.size() > 1) out += ",";
      out += std::string("\"") + k + "\":" + v;
    };
    add("riskTolerance", risk);
    add("experienceYears", years);
    add("annualIncome", income);
    add("goals", goals);
    return out + "}";
  };
  const std::vector<Case> put_cases = {
      {profile("", "5", "1", "[]"), "riskTolerance"},
      {profile("\"EXTREME\"", "5", "1", "[]"), "riskTolerance"},
      {profile("\"LOW\"", "", "1", "[]"), "experienceYears"},
      {profile("\"LOW\"", "81", "1", "[]"), "experienceYears"},
      {profile("\"LOW\"", "-1", "1", "[]"), "experienceYears"},
      {profile("\"LOW\"", "2.5", "1", "[]"), "experienceYears"},
      {profile("\"LOW\"", "\"3\"", "1", "[]"), "experienceYears"},
      {profile("\"LOW\"", "5", "", "[]"), "annualIncome"},
      {profile("\"LOW\"", "5", "-0.01", "[]"), "annualIncome"},
      {profile("\"LOW\"", "5", "\"lots\"", "[]"), "annualIncome"},
      {profile("\"LOW\"", "5", "1", ""), "goals"},
      {profile("\"LOW\"", "5", "1", "\"retire\""), "goals"},
      {profile("\"LOW\"", "5", "1", goals21), "goals"},
      {profile("\"LOW\"", "5", "1", "[\"\"]"), "goals[0]"},
      {profile("\"LOW\"", "5", "1", "[\"ok\",\"" + s201 + "\"]"), "goals[1]"},
      {profile("\"LOW\"", "5", "1", "[7]"), "goals[0]"},
  };

  auto sql = h.sql();
  auto snapshot = [&] {
    return sql.query("select c.name, c.email, c.phone, c.company, c.status, c.owner_id::text, c.updated_at::text, "
                     "p.risk_tolerance, p.experience_years::text, p.annual_income::text, p.goals::text, "
                     "p.updated_at::text, (select count(*) from customer.customers)::text, "
                     "(select count(*) from customer.crm_outbox)::text "
                     "from customer.customers c join customer.investment_profiles p on p.customer_id = c.id "
                     "where c.id = $1",
                     {id});
  };
  const auto before = snapshot();
  REQUIRE(before.size() == 1);

  auto check_all = [&](const std::string& method, const std::string& path, const std::vector<Case>& cases) {
    for (const auto& c : cases) {
      auto r = h.call(method, path, c.body, org.rep);
      INFO(method << " " << path << " " << c.body);
      auto fields = error_fields(require_problem(r, 422));
      CHECK(std::find(fields.begin(), fields.end(), c.field) != fields.end());
      CHECK(snapshot() == before);
    }
  };
  check_all("POST", "/api/customers", post_cases);
  check_all("PATCH", "/api/customers/" + id, patch_cases);
  check_all("PUT", "/api/customers/" + id + "/investment-profile", put_cases);

  // The limits themselves are allowed: 200 characters (not bytes), 254-byte email, 50-byte phone.
  CHECK(h.call("POST", "/api/customers", "{\"name\":\"" + e200 + "\"}", org.rep).status == 201);
  CHECK(h.call("PATCH", "/api/customers/" + id, "{\"phone\":\"" + s51.substr(1) + "\"}", org.rep).status == 200);
}

namespace {

// customer.reassign_owner is for workflows only: a one-step saga calls it with
// the instance's input.
constexpr const char* kHandoverSaga = R"lua(
return saga "customer_handover" {
  trigger = manual,
  steps = {
    step "customers" {
      call = "customer.reassign_owner",
      input = function(ctx) return ctx.input end,
    },
  },
}
)lua";

// Starts customer_handover with `input`, waits for it to complete; the step's reply.
Poco::JSON::Object::Ptr hand_over(CustomerHost& h, const std::string& input) {
  auto started = h.call("POST", "/api/workflows/customer_handover/instances", "{\"input\":" + input + "}", h.admin());
  INFO(started.body);
  REQUIRE(started.status == 201);
  const std::string id = text_of(started.json(), "id");
  Poco::JSON::Object::Ptr last;
  const bool ended = eventually(
      [&] {
        auto r = h.get("/api/workflow-instances/" + id, h.admin());
        if (r.status != 200) return false;
        last = r.json();
        const std::string status = text_of(last, "status");
        return status != "RUNNING" && status != "WAITING";
      },
      std::chrono::seconds(30), std::chrono::milliseconds(50));
  INFO("instance: " << (last ? json_of(*last) : std::string("never read")));
  REQUIRE(ended);
  REQUIRE(text_of(last, "status") == "COMPLETED");
  return last->getObject("vars")->getObject("results")->getObject("customers");
}

// The ids a step reply says were moved. Replies pass through Lua on their way
// into the instance, so an empty list reads back as {}.
std::set<std::string> moved_of(const Poco::JSON::Object::Ptr& reply) {
  std::set<std::string> out;
  if (auto none = reply->getObject("moved"); none && none->size() == 0) return out;
  auto a = reply->getArray("moved");
  REQUIRE(a);
  for (size_t i = 0; i < a->size(); ++i) out.insert(a->getElement<std::string>(static_cast<unsigned>(i)));
  REQUIRE(out.size() == a->size());
  return out;
}

} // namespace

TEST_CASE("reassign_owner moves every live customer of a large owner in batches, once", "[customer]") {
  CustomerHost h;
  Org org = make_org(h);
  fs::create_directories(h.auth().host().dir() / "workflows"); // PUT writes the file there
  auto put =
      h.auth().http().request("PUT", "/api/workflows/customer_handover", kHandoverSaga,
                              {{"Authorization", bearer(h.admin().access_token)}, {"Content-Type", "text/x-lua"}});
  INFO(put.body);
  REQUIRE(put.status / 100 == 2);

  auto sql = h.sql();
  without_autovacuum(sql);
  sql.query("insert into customer.customers (name, owner_id) select 'Book ' || g, $1::uuid "
            "from generate_series(1, 2500) g",
            {org.rep.id});
  const std::string gone = h.create_id(org.rep, {{"name", "Gone"}});
  REQUIRE(h.call("DELETE", "/api/customers/" + gone, "", org.boss).status == 202);
  const std::string peers = h.create_id(h.admin(), {{"name", "Peer's own"}, {"ownerId", org.peer.id}});
  const long long events_before = sql.count("select count(*) from customer.crm_outbox");
  auto live_of = [&](const std::string& owner) {
    return sql.count("select count(*) from customer.customers where owner_id = $1 and deleted_at is null", {owner});
  };

  const std::string all = "{\"fromUserId\":\"" + org.rep.id + "\",\"toUserId\":\"" + org.peer.id + "\"}";
  auto first = hand_over(h, all);
  CHECK(moved_of(first).size() == 2500);
  CHECK(text_of(first, "fromUserId") == org.rep.id);
  CHECK(text_of(first, "toUserId") == org.peer.id);
  CHECK(live_of(org.rep.id) == 0);
  CHECK(live_of(org.peer.id) == 2501);
  // The deleted customer stays where it was.
  CHECK(sql.count("select count(*) from customer.customers where id = $1 and owner_id = $2", {gone, org.rep.id}) == 1);

  // One customer.reassigned per batch of at most 1000, together naming every moved customer.
  auto events = sql.query("select subject, jsonb_array_length(data->'ids'), data->>'fromUserId', data->>'toUserId' "
                          "from customer.crm_outbox where type = 'customer.reassigned' order by seq");
  REQUIRE(events.size() == 3);
  long long named = 0;
  for (const auto& e : events) {
    CHECK(*e[0] == org.rep.id);
    CHECK(std::stoll(*e[1]) <= 1000);
    CHECK(*e[2] == org.rep.id);
    CHECK(*e[3] == org.peer.id);
    named += std::stoll(*e[1]);
  }
  CHECK(named == 2500);

  // Again: nothing left to move, nothing emitted.
  auto second = hand_over(h, all);
  CHECK(moved_of(second).empty());
  CHECK(sql.count("select count(*) from customer.crm_outbox") == events_before + 3);

  // With ids, only those move (and only if live and owned by fromUserId).
  auto some = sql.query("select id::text from customer.customers where owner_id = $1 and id <> $2 limit 2",
                        {org.peer.id, peers});
  REQUIRE(some.size() == 2);
  const std::string back = "{\"fromUserId\":\"" + org.peer.id + "\",\"toUserId\":\"" + org.rep.id + "\",\"ids\":[\"" +
                           *some[0][0] + "\",\"" + *some[1][0] + "\",\"" + gone + "\"]}";
  // An empty list (from Lua: {}) moves none, not all.
  for (const char* none : {"[]", "{}"}) {
    auto r = hand_over(h, "{\"fromUserId\":\"" + org.peer.id + "\",\"toUserId\":\"" + org.rep.id +
                              "\",\"ids\":" + none + "}");
    CHECK(moved_of(r).empty());
  }
  CHECK(live_of(org.peer.id) == 2501);

  auto third = hand_over(h, back);
  CHECK(moved_of(third) == std::set<std::string>{*some[0][0], *some[1][0]});
  CHECK(listed(h, "", org.rep) == std::set<std::string>{*some[0][0], *some[1][0]});
}
