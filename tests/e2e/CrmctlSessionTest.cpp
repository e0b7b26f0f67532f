// crmctl sessions: login (wrong password refused, exit 2), the stored 0600
// session, whoami in every output form, transparent renewal of an expired
// access token, CRMCTL_TOKEN, logout.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace e2e;

TEST_CASE("login keeps a private session that whoami uses and logout ends", "[crmctl][session]") {
  CrmctlHost h;
  const Account& admin = h.auth().admin();

  SECTION("a wrong password is refused with exit 2 and nothing is stored") {
    CrmctlOptions wrong;
    wrong.stdin_text = "not-the-password\n";
    auto r = h.run({"login", "--email", admin.email, "--password-stdin"}, wrong);
    INFO(describe({"login"}, r));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    auto err = lines_of(r.err);
    REQUIRE(err.size() == 2);
    CHECK(starts_with(err[0], "crmctl: Unauthorized (401)"));
    CHECK(err[1] == "hint: check the email and the password");
    CHECK(!fs::exists(h.credentials_file()));
  }

  SECTION("the right one signs in, whoami shows the admin, logout forgets the session") {
    CrmctlOptions right;
    right.stdin_text = admin.password + "\n";
    auto in = h.run({"login", "--email", admin.email, "--password-stdin"}, right);
    INFO(describe({"login"}, in));
    REQUIRE(in.exit_code == 0);
    CHECK(in.out == "Signed in to " + h.server() + " as " + admin.email + " (ADMIN)\n");
    CHECK(in.err.empty());
    CHECK(mode_of(h.credentials_file()) == 0600);
    CHECK(mode_of(h.credentials_file().parent_path()) == 0700);

    auto who = h.ok({"whoami"});
    auto lines = lines_of(who.out);
    REQUIRE(lines.size() == 8);
    CHECK(lines[0] == "Id:          " + admin.id);
    CHECK(lines[1] == "Email:       " + admin.email);
    CHECK(lines[3] == "Role:        ADMIN");
    CHECK(lines[5] == "Active:      true");
    CHECK(lines[7] == "Server:      " + h.server());

    auto as_json = json_object(h.ok({"whoami", "-o", "json"}).out);
    CHECK(text_of(as_json, "id") == admin.id);
    CHECK(text_of(as_json, "email") == admin.email);
    CHECK(text_of(as_json, "role") == "ADMIN");
    CHECK(!as_json->has("passwordHash"));

    auto csv = lines_of(h.ok({"whoami", "-o", "csv"}).out);
    REQUIRE(csv.size() == 2);
    CHECK(csv[0] == "id,email,name,role,managerId,active,lastLoginAt,server");
    CHECK(starts_with(csv[1], admin.id + "," + admin.email + ","));
    CHECK(csv[1].find(",ADMIN,,true,") != std::string::npos);

    auto out = h.ok({"logout"});
    CHECK(out.out == "Signed out of " + h.server() + "\n");
    auto after = h.run({"whoami"});
    INFO(describe({"whoami"}, after));
    CHECK(after.exit_code == 2);
    CHECK(after.out.empty());
    CHECK(contains(after.err, "crmctl login"));
  }
}

TEST_CASE("an expired access token is renewed with the refresh token without the admin noticing", "[crmctl][session]") {
  CrmctlHost h(std::map<std::string, std::string>{{"CRM_JWT_ACCESS_TTL", "2"}});
  h.login_admin();
  auto refresh_token = [&] {
    return text_of(json_object(read_text(h.credentials_file()))->getObject("sessions")->getObject(h.server()),
                   "refreshToken");
  };
  const std::string first = refresh_token();
  REQUIRE(!first.empty());

  // Known to have expired: renewed before the request.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  auto who = h.ok({"whoami", "-o", "json"});
  CHECK(text_of(json_object(who.out), "email") == h.auth().admin().email);
  const std::string second = refresh_token();
  CHECK(second != first);
  CHECK(mode_of(h.credentials_file()) == 0600);

  // A token the server refuses although it is not known to have expired
  // (revoked, a key rotated): the 401 makes crmctl renew it and ask again.
  {
    auto file = json_object(read_text(h.credentials_file()));
    auto session = file->getObject("sessions")->getObject(h.server());
    session->set("accessToken", "not-a-token");
    session->set("expiresAt", static_cast<Poco::Int64>(4102444800));
    std::ostringstream text;
    file->stringify(text);
    write_file(h.credentials_file(), text.str());
  }
  h.ok({"whoami"});
  CHECK(refresh_token() != second);
}

TEST_CASE("CRMCTL_TOKEN is used as it is and a refused one says so", "[crmctl][session]") {
  CrmctlHost h;
  CrmctlOptions with_token;
  with_token.env["CRMCTL_TOKEN"] = h.auth().admin().access_token;
  auto r = h.run({"whoami", "-o", "json"}, with_token);
  INFO(describe({"whoami", "-o", "json"}, r));
  REQUIRE(r.exit_code == 0);
  CHECK(text_of(json_object(r.out), "id") == h.auth().admin().id);
  CHECK(!fs::exists(h.credentials_file()));

  CrmctlOptions bad;
  bad.env["CRMCTL_TOKEN"] = "not-a-token";
  auto refused = h.run({"users", "list"}, bad);
  INFO(describe({"users", "list"}, refused));
  CHECK(refused.exit_code == 2);
  CHECK(starts_with(refused.err, "crmctl: Unauthorized (401)"));
  CHECK(contains(refused.err, "hint: the token in CRMCTL_TOKEN was refused"));
}
