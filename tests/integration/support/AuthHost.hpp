// AuthHost: a crm-host running the real auth plugin (build/plugins/auth.so)
// on a fresh database, whose first ADMIN the plugin's bootstrap created from
// CRM_ADMIN_EMAIL / CRM_ADMIN_PASSWORD, signed in through the API. Plus the
// calls the Auth*Test files share: sign in, register users, call a route as
// someone, read the audit log.
//
// Every address is unique to the test (random), because the login counters
// behind the lockout live in the shared Redis and outlive the test's database.
#pragma once

#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace itest {

// Meets the password policy (10+ characters, a letter and a non-letter) and
// contains no local part the helpers generate.
inline constexpr const char* kUserPassword = "Correct-horse-42";

// A user the test can act as.
struct Account {
  std::string id;
  std::string email;
  std::string password;
  std::string role;
  std::string access_token;
  std::string refresh_token;
};

struct AuthHostOptions {
  // Extra CRM_* overrides for the host.
  std::map<std::string, std::string> env;
  // Lines appended to a copy of config/crm-host.properties (for keys the file
  // lacks, which no CRM_* variable can set: "plugin.auth.self_register = true").
  std::vector<std::string> extra_config;
  // Fixture plugins loaded beside auth ("fixture_c").
  std::vector<std::string> fixtures;
};

inline std::string unique_email(const std::string& prefix) { return prefix + "-" + random_hex(10) + "@example.com"; }

class AuthHost {
public:
  explicit AuthHost(const AuthHostOptions& options = {})
      : host_({}, host_env(options.env), HostUnderTest::Start::Later) {
    host_.add_shipped_plugin("auth");
    for (const auto& fixture : options.fixtures) host_.add_plugin(fixture);
    if (!options.extra_config.empty()) host_.process().use_config_file(write_config(options.extra_config));
    host_.start();
    // The bootstrap runs once the plugin is loaded, which may be after the
    // host first answers: wait for the first admin to be able to sign in.
    std::optional<Response> last;
    const bool signed_in = eventually(
        [&] {
          last = login(admin_.email, admin_.password);
          return last->status == 200;
        },
        std::chrono::seconds(15), std::chrono::milliseconds(200));
    INFO("last login of the bootstrapped admin: " << (last ? std::to_string(last->status) + " " + last->body : "none"));
    REQUIRE(signed_in);
    take_session(admin_, *last);
  }

  HostUnderTest& host() { return host_; }
  Http& http() { return host_.http(); }
  const Account& admin() const { return admin_; }

  // One request; `token` empty means no Authorization header.
  Response call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& token = "") {
    Headers headers;
    if (!token.empty()) headers.emplace_back("Authorization", bearer(token));
    return http().request(method, path, body, headers);
  }
  Response get(const std::string& path, const std::string& token) { return call("GET", path, "", token); }

  Response login(const std::string& email, const std::string& password) {
    Poco::JSON::Object body;
    body.set("email", email);
    body.set("password", password);
    return call("POST", "/api/auth/login", json_of(body));
  }

  // The same login from another loopback address ("127.0.0.2"), over a
  // connection of that address's own.
  Response login_from(const std::string& source_ip, const std::string& email, const std::string& password) {
    auto& client = clients_[source_ip];
    if (!client) client = std::make_unique<Http>(host_.port(), std::chrono::seconds(20), source_ip);
    Poco::JSON::Object body;
    body.set("email", email);
    body.set("password", password);
    return client->request("POST", "/api/auth/login", json_of(body));
  }

  Response refresh(const std::string& refresh_token) {
    Poco::JSON::Object body;
    body.set("refreshToken", refresh_token);
    return call("POST", "/api/auth/refresh", json_of(body));
  }

  // Logs `account` in again; requires 200 and keeps the new tokens in it.
  void sign_in(Account& account) {
    auto r = login(account.email, account.password);
    INFO("login " << account.email << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    take_session(account, r);
  }

  // POST /api/auth/register as the admin; requires 201 and returns the user.
  Poco::JSON::Object::Ptr register_user(const std::string& email, const std::string& role,
                                        const std::string& manager_id = {},
                                        const std::string& password = kUserPassword) {
    auto r = call("POST", "/api/auth/register", registration(email, role, manager_id, password), admin_.access_token);
    INFO("register " << email << " as " << role << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  // The body of a registration.
  static std::string registration(const std::string& email, const std::string& role, const std::string& manager_id = {},
                                  const std::string& password = kUserPassword) {
    Poco::JSON::Object body;
    body.set("email", email);
    body.set("password", password);
    body.set("name", "User " + email.substr(0, email.find('@')));
    if (!role.empty()) body.set("role", role);
    if (!manager_id.empty()) body.set("managerId", manager_id);
    return json_of(body);
  }

  // A new user (registered by the admin) that is signed in.
  Account create_user(const std::string& role, const std::string& manager_id = {}) {
    Account a;
    a.email = unique_email(lower(role));
    a.password = kUserPassword;
    a.role = role;
    a.id = text_of(register_user(a.email, role, manager_id), "id");
    sign_in(a);
    return a;
  }

  // A new user that is not signed in (saves a login's argon2 work).
  Account create_user_only(const std::string& role, const std::string& manager_id = {}) {
    Account a;
    a.email = unique_email(lower(role));
    a.password = kUserPassword;
    a.role = role;
    a.id = text_of(register_user(a.email, role, manager_id), "id");
    return a;
  }

  // GET /api/auth/audit-logs?<query> as the admin; requires 200; the items.
  Poco::JSON::Array::Ptr audit_entries(const std::string& query) {
    auto r = get("/api/auth/audit-logs?" + query, admin_.access_token);
    INFO("GET /api/auth/audit-logs?" << query << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    REQUIRE(items);
    return items;
  }

  // The ids of a user list reply's items.
  static std::vector<std::string> ids_of(const Response& r) {
    std::vector<std::string> ids;
    auto items = r.json()->getArray("items");
    if (!items) return ids;
    for (size_t i = 0; i < items->size(); ++i) ids.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "id"));
    return ids;
  }

private:
  std::map<std::string, std::string> host_env(std::map<std::string, std::string> extra) {
    admin_.email = unique_email("admin");
    admin_.password = "Admin-pass-" + random_hex(8);
    admin_.role = "ADMIN";
    std::map<std::string, std::string> env{
        {"CRM_ADMIN_EMAIL", admin_.email},
        {"CRM_ADMIN_PASSWORD", admin_.password},
        // Every test signs in from 127.0.0.1, and the rate counters are shared
        // through Redis: no rate limit here (0 = unlimited); the lockout is
        // the plugin's and stays on.
        {"CRM_RATELIMIT_AUTH_PER_IP", "0"},
        {"CRM_RATELIMIT_API_PER_IP", "0"},
        {"CRM_RATELIMIT_API_PER_USER", "0"},
    };
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }

  fs::path write_config(const std::vector<std::string>& lines) {
    const fs::path file = host_.dir() / "crm-host.properties";
    std::ifstream base(std::string(CRM_SOURCE_DIR) + "/config/crm-host.properties");
    std::ofstream out(file);
    out << base.rdbuf() << "\n# added by the test\n";
    for (const auto& line : lines) out << line << "\n";
    return file;
  }

  static void take_session(Account& account, const Response& r) {
    auto session = r.json();
    account.access_token = text_of(session, "accessToken");
    account.refresh_token = text_of(session, "refreshToken");
    auto user = session->getObject("user");
    REQUIRE(user);
    account.id = text_of(user, "id");
  }

  Account admin_; // filled by host_env(), before host_ starts
  HostUnderTest host_;
  std::map<std::string, std::unique_ptr<Http>> clients_; // by source address
};

} // namespace itest
