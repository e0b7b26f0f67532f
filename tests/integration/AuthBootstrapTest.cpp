// The first admin: created by the auth plugin's start-up operation from
// plugin.auth.admin.email / .password (or the older admin.* keys) when no active ADMIN exists, never twice, not
// even by two hosts starting together, and never with a weak password: a
// host that cannot create it does not start (non-zero exit, the reason last
// on stderr), while a plugin dropped in later never stops a running host.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/Process.h>

#include <fstream>
#include <sstream>

using namespace itest;

namespace {

// The status crm-host exits with when its start cannot finish.
constexpr int kStartFailed = 70;

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

std::string file_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n");
  if (end == std::string::npos) return {};
  const size_t newline = text.rfind('\n', end);
  const size_t start = newline == std::string::npos ? 0 : newline + 1;
  return text.substr(start, end + 1 - start);
}

struct Ended {
  int code = -1;
  std::string out, err;
};

// Runs `host`'s crm-host (its environment, the shipped configuration) to its
// end with standard output and error kept apart. A host that starts serves
// until stopped, so `timeout` ends it after 30 s: the code then is 124.
Ended run_to_end(HostProcess& host) {
  const fs::path dir = host.config().work_dir;
  auto env = host.environment();
  env["ITEST_OUT"] = (dir / "run.out").string();
  env["ITEST_ERR"] = (dir / "run.err").string();
  const std::string script = "exec timeout 30 \"$0\" \"$@\" >\"$ITEST_OUT\" 2>\"$ITEST_ERR\" </dev/null";
  Poco::Process::Args args{"-c", script, CRM_HOST_BINARY,
                           "--config=" + std::string(CRM_SOURCE_DIR) + "/config/crm-host.properties"};
  auto handle = Poco::Process::launch("/bin/sh", args, dir.string(), nullptr, nullptr, nullptr, env);
  Ended ended;
  ended.code = handle.wait();
  ended.out = file_text(dir / "run.out");
  ended.err = file_text(dir / "run.err");
  return ended;
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

TEST_CASE("a weak admin password creates no admin, stops the host and says why in the log",
          "[auth-plugin][bootstrap]") {
  const std::string email = unique_email("admin");
  const std::string weak = "Wk-" + random_hex(4); // too short
  HostUnderTest host({}, admin_env(email, weak), HostUnderTest::Start::Later);
  host.add_shipped_plugin("auth");
  host.process().start();
  host.process().expect_exit();
  REQUIRE(host.process().wait_for_exit(std::chrono::seconds(20)) == std::optional<int>(kStartFailed));
  CHECK(host.sql().count("select count(*) from auth.users") == 0);
  const std::string log = host.process().log();
  CHECK(contains(log, "cannot create the first ADMIN"));
  CHECK(contains(log, "password must be at least 10 characters"));
  CHECK_FALSE(contains(log, "created the first ADMIN"));
  CHECK_FALSE(contains(log, weak)); // the password itself is never logged
}

TEST_CASE("an admin password containing the email's local part stops the host with a non-zero exit and the reason on "
          "stderr",
          "[auth-plugin][bootstrap]") {
  const std::string email = unique_email("admin");
  const std::string local_part = email.substr(0, email.find('@'));
  const std::string password = "Pass-" + local_part + "-9";
  HostUnderTest host({}, admin_env(email, password), HostUnderTest::Start::Later);
  host.add_shipped_plugin("auth");

  const Ended ended = run_to_end(host.process());
  INFO("exit " << ended.code << "\nstderr:\n" << ended.err);
  CHECK(ended.code == kStartFailed);
  const std::string reason = last_line(ended.err);
  CHECK(reason.rfind("crm-host: start-up failed: ", 0) == 0);
  CHECK(contains(reason, "auth.bootstrap"));
  CHECK(contains(reason, "password must not contain the email address"));
  CHECK_FALSE(contains(ended.out, "start-up failed"));
  CHECK_FALSE(contains(ended.err + ended.out, password)); // never logged
  // It never answered: no "ready" line, and nobody was created.
  CHECK_FALSE(contains(ended.err, R"("message":"ready")"));
  CHECK(host.sql().count("select count(*) from auth.users") == 0);
}

TEST_CASE("an auth plugin dropped into a running host with a refused admin password leaves the host serving",
          "[auth-plugin][bootstrap]") {
  const std::string email = unique_email("admin");
  const std::string weak = "Wk-" + random_hex(4); // too short
  HostUnderTest host({"fixture_c"}, admin_env(email, weak));
  host.add_shipped_plugin("auth");
  // Once auth is loaded it answers who a token's user is, and no user exists
  // here to ask GET /api/plugins: the host's log says it was loaded.
  REQUIRE(eventually([&] { return contains(host.process().log(), "from auth.so"); }, std::chrono::seconds(10)));
  REQUIRE(eventually([&] { return contains(host.process().log(), "cannot create the first ADMIN"); },
                     std::chrono::seconds(10)));
  CHECK(host.process().running());
  create_item(host.http(), "still serving");
  require_problem(login(host.port(), email, weak), 401);
}

TEST_CASE("the first admin can be set as the auth plugin's own plugin.auth.admin.* settings", "[auth-plugin][bootstrap]") {
  const std::string email = unique_email("plugin-admin");
  const std::string password = "Plugin-admin-pass-" + random_hex(6);
  // No CRM_ADMIN_*: the keys are the auth plugin's (CRM_PLUGIN_AUTH_ADMIN_* set plugin.auth.admin.*).
  HostUnderTest host({}, {{"CRM_PLUGIN_AUTH_ADMIN_EMAIL", email},
                          {"CRM_PLUGIN_AUTH_ADMIN_PASSWORD", password},
                          {"CRM_RATELIMIT_AUTH_PER_IP", "0"}},
                     HostUnderTest::Start::Later);
  host.add_shipped_plugin("auth");
  host.start();
  auto r = login(host.port(), email, password);
  INFO(r.body);
  CHECK(r.status == 200);
}
