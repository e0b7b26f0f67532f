// The first admin: created by the auth plugin's start-up operation from
// admin.email / admin.password when no active ADMIN exists, never twice, not
// even by two hosts starting together, and never with a weak password.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

std::map<std::string, std::string> admin_env(const std::string& email, const std::string& password) {
  return {{"CRM_ADMIN_EMAIL", email},
          {"CRM_ADMIN_PASSWORD", password},
          {"CRM_RATELIMIT_AUTH_PER_IP", "0"},
          {"CRM_RATELIMIT_API_PER_IP", "0"},
          {"CRM_RATELIMIT_API_PER_USER", "0"}};
}

Response login(int port, const std::string& email, const std::string& password) {
  Http http(port);
  Poco::JSON::Object body;
  body.set("email", email);
  body.set("password", password);
  return http.post("/api/auth/login", json_of(body));
}

// The ADMINs as an ADMIN sees them.
std::vector<std::string> admins(int port, const std::string& token) {
  Http http(port);
  auto r = http.get("/api/auth/users?role=ADMIN", {{"Authorization", bearer(token)}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return AuthHost::ids_of(r);
}

} // namespace

TEST_CASE("a host started on a database that has an admin creates no second one", "[auth-plugin][bootstrap]") {
  AuthHost auth; // its host created the first admin
  const std::string other_email = unique_email("admin2");
  auto second = auth.host().another_host("crm-host-2", admin_env(other_email, "Second-admin-pass-1"));
  second->start();
  second->wait_until_live();

  require_problem(login(second->port(), other_email, "Second-admin-pass-1"), 401);
  CHECK(admins(second->port(), auth.admin().access_token) == std::vector<std::string>{auth.admin().id});
}

TEST_CASE("two hosts starting together on a fresh database create exactly one admin", "[auth-plugin][bootstrap]") {
  const std::string email_a = unique_email("admin-a"), email_b = unique_email("admin-b");
  const std::string password = "Racing-admin-pass-1";
  HostUnderTest first({}, admin_env(email_a, password), HostUnderTest::Start::Later);
  first.add_shipped_plugin("auth");
  auto second = first.another_host("crm-host-2", admin_env(email_b, password));

  // Launched back to back from this thread, so both race through start-up.
  first.process().start();
  second->start();
  first.process().wait_until_live();
  second->wait_until_live();

  // Start-up operations run before a host listens: both are done by now.
  auto a = login(first.port(), email_a, password);
  auto b = login(first.port(), email_b, password);
  INFO("admin a: " << a.status << " " << a.body << "\nadmin b: " << b.status << " " << b.body);
  REQUIRE(((a.status == 200) != (b.status == 200)));
  const auto& winner = a.status == 200 ? a : b;
  const std::string token = text_of(winner.json(), "accessToken");
  CHECK(admins(second->port(), token).size() == 1);
}

TEST_CASE("a weak admin password creates no admin and says why in the log", "[auth-plugin][bootstrap]") {
  const std::string email = unique_email("admin");
  const std::string weak = "Wk-" + random_hex(4); // too short
  HostUnderTest host({}, admin_env(email, weak), HostUnderTest::Start::Later);
  host.add_shipped_plugin("auth");
  host.start();
  require_problem(login(host.port(), email, weak), 401);
  const std::string log = host.process().log();
  CHECK(contains(log, "cannot create the first ADMIN"));
  CHECK(contains(log, "password must be at least 10 characters"));
  CHECK_FALSE(contains(log, "created the first ADMIN"));
  CHECK_FALSE(contains(log, weak)); // the password itself is never logged
}
