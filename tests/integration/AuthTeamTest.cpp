// Teams: a MANAGER sees the users below it (directly or through other
// managers) and nobody else; a SALES user sees itself; the reporting lines
// never loop; and a change of manager reshapes teams at once.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace itest;

namespace {

// boss (MANAGER) <- direct (SALES)
//                <- middle (MANAGER) <- indirect (SALES)
// outsider_boss (MANAGER) <- outsider (SALES)
struct Org {
  Account boss, direct, middle, indirect, outsider_boss, outsider;
};

// Only the accounts the test acts as are signed in (`sign_in` lists them).
Org make_org(AuthHost& auth, std::set<std::string> sign_in) {
  auto make = [&](const std::string& name, const std::string& role, const std::string& manager) {
    return sign_in.count(name) ? auth.create_user(role, manager) : auth.create_user_only(role, manager);
  };
  Org o;
  o.boss = make("boss", "MANAGER", "");
  o.direct = make("direct", "SALES", o.boss.id);
  o.middle = make("middle", "MANAGER", o.boss.id);
  o.indirect = make("indirect", "SALES", o.middle.id);
  o.outsider_boss = make("outsider_boss", "MANAGER", "");
  o.outsider = make("outsider", "SALES", o.outsider_boss.id);
  return o;
}

std::set<std::string> listed(AuthHost& auth, const std::string& token) {
  auto r = auth.get("/api/auth/users", token);
  INFO("GET /api/auth/users -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto ids = AuthHost::ids_of(r);
  return {ids.begin(), ids.end()};
}

} // namespace

TEST_CASE("a MANAGER lists its direct and indirect reports and nobody else", "[auth-plugin][team]") {
  AuthHost auth;
  Org org = make_org(auth, {"boss", "middle"});
  CHECK(listed(auth, org.boss.access_token) == std::set<std::string>{org.direct.id, org.middle.id, org.indirect.id});
  CHECK(listed(auth, org.middle.access_token) == std::set<std::string>{org.indirect.id});
}

TEST_CASE("a MANAGER gets itself and its reports, and a 404 for anyone else", "[auth-plugin][team]") {
  AuthHost auth;
  Org org = make_org(auth, {"boss"});
  for (const auto* visible : {&org.boss, &org.direct, &org.middle, &org.indirect}) {
    auto r = auth.get("/api/auth/users/" + visible->id, org.boss.access_token);
    INFO(visible->email << " -> " << r.status << " " << r.body);
    CHECK(r.status == 200);
  }
  for (const std::string& hidden : {org.outsider_boss.id, org.outsider.id, auth.admin().id}) {
    INFO(hidden);
    require_problem(auth.get("/api/auth/users/" + hidden, org.boss.access_token), 404);
  }
}

TEST_CASE("a SALES user sees only itself", "[auth-plugin][team]") {
  AuthHost auth;
  Org org = make_org(auth, {"indirect"});
  const std::string& token = org.indirect.access_token;
  auto self = auth.get("/api/auth/users/" + org.indirect.id, token);
  REQUIRE(self.status == 200);
  CHECK(text_of(self.json(), "id") == org.indirect.id);
  for (const std::string& other : {org.middle.id, org.boss.id, org.direct.id, org.outsider.id}) {
    INFO(other);
    require_problem(auth.get("/api/auth/users/" + other, token), 404);
  }
  require_problem(auth.get("/api/auth/users", token), 403);
}

TEST_CASE("making a manager report to someone below it, or to itself, is refused with 422 on managerId",
          "[auth-plugin][team]") {
  AuthHost auth;
  Org org = make_org(auth, {});
  for (const std::string& below : {org.indirect.id, org.middle.id, org.boss.id}) {
    auto r = auth.call("PATCH", "/api/auth/users/" + org.boss.id, R"({"managerId":")" + below + R"("})",
                       auth.admin().access_token);
    INFO(below);
    CHECK(error_fields(require_problem(r, 422)) == std::vector<std::string>{"managerId"});
  }
  auto boss = auth.get("/api/auth/users/" + org.boss.id, auth.admin().access_token).json();
  CHECK(boss->isNull("managerId"));
  // Reporting to an unrelated manager is fine.
  auto ok = auth.call("PATCH", "/api/auth/users/" + org.boss.id, R"({"managerId":")" + org.outsider_boss.id + R"("})",
                      auth.admin().access_token);
  INFO(ok.body);
  CHECK(ok.status == 200);
}

TEST_CASE("moving a user to another manager changes both teams for tokens already issued", "[auth-plugin][team]") {
  AuthHost auth;
  Org org = make_org(auth, {"boss", "outsider_boss"});
  REQUIRE(listed(auth, org.outsider_boss.access_token) == std::set<std::string>{org.outsider.id});

  auto r = auth.call("PATCH", "/api/auth/users/" + org.outsider.id, R"({"managerId":")" + org.middle.id + R"("})",
                     auth.admin().access_token);
  REQUIRE(r.status == 200);
  // Cached principals are dropped when the PATCH commits; allow the drop to
  // travel (other hosts hear of it through the shared cache).
  const std::set<std::string> boss_team{org.direct.id, org.middle.id, org.indirect.id, org.outsider.id};
  CHECK(eventually([&] { return listed(auth, org.outsider_boss.access_token).empty(); }, std::chrono::seconds(3)));
  CHECK(eventually([&] { return listed(auth, org.boss.access_token) == boss_team; }, std::chrono::seconds(3)));
  CHECK(listed(auth, org.boss.access_token) == boss_team);
}
