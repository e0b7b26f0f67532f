// crmctl users: an admin builds a team (a manager, two sales users), finds
// them by email in table, JSON and CSV form, changes and deactivates one;
// refusals come back as problem text with exit 2.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

namespace {

struct Person {
  std::string email, name, role, id;
};

std::string create_user(CrmctlHost& h, Person& p, const std::string& manager = {}) {
  CrmctlOptions o;
  o.stdin_text = std::string(kUserPassword);
  std::vector<std::string> args{"users", "create", "--email", p.email,           "--name",
                                p.name,  "--role", p.role,    "--password-stdin"};
  if (!manager.empty()) args.insert(args.end(), {"--manager", manager});
  auto r = h.ok(args, o);
  // "Created <email> (<role>) <id>"
  const std::string prefix = "Created " + p.email + " (" + p.role + ") ";
  REQUIRE(starts_with(r.out, prefix));
  p.id = r.out.substr(prefix.size(), 36);
  CHECK(r.out.size() == prefix.size() + 37);
  return p.id;
}

} // namespace

TEST_CASE("an admin creates a manager and two sales users and finds them by email", "[crmctl][users]") {
  CrmctlHost h;
  h.login_admin();
  const std::string tag = random_hex(8);
  Person mona{"mona-" + tag + "@example.com", "Mona Manager", "MANAGER", ""};
  Person sam{"sam-" + tag + "@example.com", "Sam Sales", "SALES", ""};
  Person sue{"sue-" + tag + "@example.com", "Sue Sales", "SALES", ""};
  create_user(h, mona);
  create_user(h, sam, mona.email); // the manager named by email
  create_user(h, sue, mona.id);    // or by id

  SECTION("get by email, in JSON") {
    auto user = json_object(h.ok({"users", "get", sam.email, "-o", "json"}).out);
    CHECK(text_of(user, "id") == sam.id);
    CHECK(text_of(user, "email") == sam.email);
    CHECK(text_of(user, "name") == "Sam Sales");
    CHECK(text_of(user, "role") == "SALES");
    CHECK(text_of(user, "managerId") == mona.id);
    CHECK(user->getValue<bool>("active"));
  }

  SECTION("list as CSV, table and JSON with filters") {
    auto csv = lines_of(h.ok({"users", "list", "-q", tag, "-o", "csv"}).out);
    REQUIRE(csv.size() == 4);
    CHECK(csv[0] == "id,email,name,role,managerId,active,lastLoginAt");
    CHECK(csv[1] == mona.id + "," + mona.email + ",Mona Manager,MANAGER,,true,");
    CHECK(csv[2] == sam.id + "," + sam.email + ",Sam Sales,SALES," + mona.id + ",true,");
    CHECK(csv[3] == sue.id + "," + sue.email + ",Sue Sales,SALES," + mona.id + ",true,");

    auto bare = lines_of(h.ok({"users", "list", "-q", tag, "-o", "csv", "--no-headers"}).out);
    REQUIRE(bare.size() == 3);
    CHECK(bare[0] == csv[1]);

    auto table = lines_of(h.ok({"users", "list", "-q", tag}).out);
    REQUIRE(table.size() == 4);
    CHECK(starts_with(table[0], "ID" + std::string(36, ' ') + "EMAIL"));
    CHECK(starts_with(table[1], mona.id + "  " + mona.email));
    CHECK(table[2].find("  SALES  ") != std::string::npos);
    CHECK(table[3].substr(table[3].size() - 1) == "-"); // never signed in

    auto sales = json_array(h.ok({"users", "list", "-q", tag, "--role", "SALES", "-o", "json"}).out);
    REQUIRE(sales->size() == 2);
    CHECK(text_of(sales->getObject(0), "email") == sam.email);
    CHECK(text_of(sales->getObject(1), "email") == sue.email);

    // One per page: the next page is hinted on stderr, --all follows them.
    auto first = h.ok({"users", "list", "-q", tag, "--limit", "1", "-o", "csv", "--no-headers"});
    CHECK(lines_of(first.out).size() == 1);
    CHECK(starts_with(first.err, "more: repeat the command with --cursor "));
    auto all = h.ok({"users", "list", "-q", tag, "--limit", "1", "--all", "-o", "csv", "--no-headers"});
    CHECK(lines_of(all.out) == bare);
  }

  SECTION("update, deactivate, and a customer owned by a sales user") {
    auto renamed = json_object(h.ok({"users", "update", sam.email, "--name", "Samuel Sales", "-o", "json"}).out);
    CHECK(text_of(renamed, "name") == "Samuel Sales");
    auto moved = h.ok({"users", "update", sue.email, "--manager", "none"});
    CHECK(moved.out == "Updated " + sue.email + " " + sue.id + "\n");
    CHECK(text_of(json_object(h.ok({"users", "get", sue.id, "-o", "json"}).out), "managerId").empty());

    // Sam signs in and creates customers through the API.
    auto session = h.auth().login(sam.email, kUserPassword);
    REQUIRE(session.status == 200);
    const std::string sam_token = text_of(session.json(), "accessToken");
    for (const char* name : {"Ada Lovelace", "Charles Babbage"}) {
      auto c = h.as(sam_token, "POST", "/api/customers", std::string(R"({"name":")") + name + R"("})");
      INFO(c.body);
      REQUIRE(c.status == 201);
    }
    // The admin sees Sam's last sign-in now.
    auto sam_now = json_object(h.ok({"users", "get", sam.email, "-o", "json"}).out);
    CHECK(!text_of(sam_now, "lastLoginAt").empty());

    auto off = h.ok({"users", "deactivate", sam.email});
    CHECK(off.out == "Deactivated " + sam.email + " " + sam.id + " (signed out everywhere)\n");
    CHECK(!json_object(h.ok({"users", "get", sam.email, "-o", "json"}).out)->getValue<bool>("active"));
    auto inactive = lines_of(h.ok({"users", "list", "-q", tag, "--active", "false", "-o", "csv", "--no-headers"}).out);
    REQUIRE(inactive.size() == 1);
    CHECK(starts_with(inactive[0], sam.id + ","));
  }

  SECTION("delete deactivates the user and follows its offboarding to the end") {
    // Sue owns a customer, which her offboarding hands to Mona.
    auto session = h.auth().login(sue.email, kUserPassword);
    REQUIRE(session.status == 200);
    auto customer = h.as(text_of(session.json(), "accessToken"), "POST", "/api/customers", R"({"name":"Ada"})");
    INFO(customer.body);
    REQUIRE(customer.status == 201);
    const std::string customer_id = text_of(customer.json(), "id");

    auto r = h.run({"users", "delete", sue.email, "--reassign-to", mona.email, "--wait"});
    INFO(describe({"users", "delete", sue.email, "--wait"}, r));
    REQUIRE(r.exit_code == 0);
    auto out = lines_of(r.out);
    REQUIRE(out.size() == 2);
    CHECK(starts_with(out[0], "Deactivated " + sue.email + "; offboarding "));
    CHECK(starts_with(out[1], "user_offboarding "));
    CHECK(contains(out[1], " COMPLETED after "));
    auto owner = h.as(h.auth().admin().access_token, "GET", "/api/customers/" + customer_id);
    REQUIRE(owner.status == 200);
    CHECK(text_of(owner.json(), "ownerId") == mona.id);
    // The offboarding is a state machine, not a saga: listed when named.
    const std::string offboarding = out[0].substr(out[0].rfind(' ') + 1);
    auto listed = json_array(h.ok({"sagas", "list", "--name", "user_offboarding", "-o", "json"}).out);
    REQUIRE(listed->size() == 1);
    CHECK(text_of(listed->getObject(0), "id") == offboarding);
    CHECK(text_of(listed->getObject(0), "status") == "COMPLETED");

    CHECK(!json_object(h.ok({"users", "get", sue.email, "-o", "json"}).out)->getValue<bool>("active"));
    auto again = h.run({"users", "delete", sue.email});
    CHECK(again.exit_code == 2);
    CHECK(starts_with(again.err, "crmctl: Conflict (409)"));
  }

  SECTION("refusals print the problem and exit 2") {
    CrmctlOptions o;
    o.stdin_text = std::string(kUserPassword);
    auto duplicate = h.run({"users", "create", "--email", sam.email, "--name", "Again", "--password-stdin"}, o);
    INFO(describe({"users", "create", sam.email}, duplicate));
    CHECK(duplicate.exit_code == 2);
    CHECK(duplicate.out.empty());
    CHECK(starts_with(duplicate.err, "crmctl: Conflict (409)"));

    auto bad = h.run({"users", "create", "--email", "not-an-email", "--name", "X", "--password-stdin"}, o);
    INFO(describe({"users", "create", "not-an-email"}, bad));
    CHECK(bad.exit_code == 2);
    auto err = lines_of(bad.err);
    REQUIRE(err.size() >= 2);
    CHECK(starts_with(err[0], "crmctl: "));
    CHECK(contains(err[0], "(422)"));
    CHECK(starts_with(err[1], "  email: "));

    auto nobody = h.run({"users", "get", "nobody-" + tag + "@example.com"});
    CHECK(nobody.exit_code == 2);
    CHECK(nobody.err == "crmctl: no user with email nobody-" + tag + "@example.com (user)\n");

    auto missing = h.run({"users", "get", "00000000-0000-4000-8000-000000000000"});
    CHECK(missing.exit_code == 2);
    CHECK(starts_with(missing.err, "crmctl: Not Found (404)"));
  }

  SECTION("a manager may not look at the plugins") {
    h.login(mona.email, kUserPassword);
    auto who = json_object(h.ok({"whoami", "-o", "json"}).out);
    CHECK(text_of(who, "role") == "MANAGER");
    auto team = json_array(h.ok({"users", "list", "-o", "json"}).out);
    CHECK(team->size() == 2); // her team: the two sales users below her
    auto refused = h.run({"plugins", "list"});
    INFO(describe({"plugins", "list"}, refused));
    CHECK(refused.exit_code == 2);
    CHECK(starts_with(refused.err, "crmctl: Forbidden (403)"));
    CHECK(contains(refused.err, "hint: signed in as " + mona.email + " (MANAGER)"));
  }
}
