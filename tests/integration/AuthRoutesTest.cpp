// The auth plugin's REST routes against a real host: who may call what, the
// shape of a login, registration rules (policy, duplicates, self-registration),
// the user list's paging and filters, PATCH and DELETE.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <cctype>
#include <set>
#include <thread>

using namespace itest;

namespace {

// One row of the role matrix: a route and the status each caller gets.
struct RouteRule {
  std::string method;
  std::string path;
  std::function<std::string()> body; // evaluated per call: some need fresh data
  std::array<int, 4> expected;       // none, SALES, MANAGER, ADMIN
};

std::string body_of(const std::map<std::string, std::string>& fields) {
  Poco::JSON::Object o;
  for (const auto& [k, v] : fields) o.set(k, v);
  return json_of(o);
}

} // namespace

TEST_CASE("every auth route admits exactly the callers of the API contract", "[auth-plugin][routes]") {
  AuthHost auth;
  Account manager = auth.create_user("MANAGER");
  Account sales = auth.create_user("SALES", manager.id);
  const Account& admin = auth.admin();
  Account doomed = auth.create_user_only("SALES");

  const auto admin_credentials = [&] { return body_of({{"email", admin.email}, {"password", admin.password}}); };
  const auto fresh_refresh_token = [&] {
    auto r = auth.login(admin.email, admin.password);
    REQUIRE(r.status == 200);
    return body_of({{"refreshToken", text_of(r.json(), "refreshToken")}});
  };
  const auto new_user = [] { return AuthHost::registration(unique_email("matrix"), "SALES"); };
  const auto none = [] { return std::string(); };
  const auto empty_object = [] { return std::string("{}"); };
  const auto renamed = [] { return body_of({{"name", "Renamed"}}); };

  // Logout revokes the caller's token, so it comes last.
  const std::vector<RouteRule> rules = {
      {"POST", "/api/auth/login", admin_credentials, {200, 200, 200, 200}},
      {"POST", "/api/auth/refresh", fresh_refresh_token, {200, 200, 200, 200}},
      {"GET", "/api/auth/me", none, {401, 200, 200, 200}},
      {"POST", "/api/auth/register", new_user, {401, 403, 403, 201}},
      {"GET", "/api/auth/users", none, {401, 403, 200, 200}},
      {"GET", "/api/auth/users/" + sales.id, none, {401, 200, 200, 200}},
      {"PATCH", "/api/auth/users/" + sales.id, renamed, {401, 403, 403, 200}},
      {"DELETE", "/api/auth/users/" + doomed.id, none, {401, 403, 403, 202}},
      {"GET", "/api/auth/audit-logs", none, {401, 403, 403, 200}},
      {"POST", "/api/auth/logout", empty_object, {401, 204, 204, 204}},
  };
  const std::array<std::pair<const char*, std::string>, 4> callers = {{
      {"none", ""},
      {"SALES", sales.access_token},
      {"MANAGER", manager.access_token},
      {"ADMIN", admin.access_token},
  }};

  for (const auto& rule : rules) {
    for (size_t c = 0; c < callers.size(); ++c) {
      auto r = auth.call(rule.method, rule.path, rule.body(), callers[c].second);
      INFO(rule.method << " " << rule.path << " as " << callers[c].first << " -> " << r.status << " " << r.body);
      CHECK(r.status == rule.expected[c]);
    }
  }
}

TEST_CASE("a login answers an access token, a refresh token and the user without any password hash",
          "[auth-plugin][routes]") {
  AuthHost auth;
  const Account& admin = auth.admin();
  auto r = auth.login(admin.email, admin.password);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto session = r.json();
  CHECK(text_of(session, "tokenType") == "Bearer");
  const std::string access_token = text_of(session, "accessToken");
  CHECK(std::count(access_token.begin(), access_token.end(), '.') == 2); // a JWT
  CHECK(text_of(session, "refreshToken").size() >= 40);
  REQUIRE(session->has("expiresIn"));
  CHECK(session->getValue<int>("expiresIn") > 0);

  auto user = session->getObject("user");
  REQUIRE(user);
  std::set<std::string> keys;
  for (const auto& [k, v] : *user) keys.insert(k);
  CHECK(keys == std::set<std::string>{"id", "email", "name", "role", "managerId", "active", "createdAt", "updatedAt",
                                      "lastLoginAt"});
  CHECK(text_of(user, "email") == admin.email);
  CHECK(text_of(user, "role") == "ADMIN");
  CHECK(user->getValue<bool>("active"));
  CHECK(!user->isNull("lastLoginAt"));
  CHECK_FALSE(contains_nocase(r.body, "argon2"));
  CHECK_FALSE(contains_nocase(r.body, "hash"));

  // The access token is the admin's.
  auto me = auth.get("/api/auth/me", access_token);
  INFO(me.body);
  REQUIRE(me.status == 200);
  CHECK(text_of(me.json(), "id") == text_of(user, "id"));
  CHECK_FALSE(contains_nocase(me.body, "argon2"));
}

TEST_CASE("a password that breaks the policy is refused with 422 on the password field and creates nobody",
          "[auth-plugin][routes]") {
  AuthHost auth;
  const std::string email = unique_email("policy");
  const std::string local = email.substr(0, email.find('@'));
  for (const std::string& weak : {std::string("Short-1"), std::string("onlyletterspassword"),
                                  std::string("1234567890123"), "X-" + local + "-9", std::string(129, 'a') + "1"}) {
    auto r = auth.call("POST", "/api/auth/register", AuthHost::registration(email, "SALES", "", weak),
                       auth.admin().access_token);
    INFO("password " << weak);
    auto problem = require_problem(r, 422);
    CHECK(error_fields(problem) == std::vector<std::string>{"password"});
  }
  auto list = auth.get("/api/auth/users?q=" + local, auth.admin().access_token);
  REQUIRE(list.status == 200);
  CHECK(AuthHost::ids_of(list).empty());
}

TEST_CASE("registering an email that exists in another letter case is a 409 conflict", "[auth-plugin][routes]") {
  AuthHost auth;
  const std::string email = unique_email("dup");
  auto first = auth.register_user("Mixed." + email, "SALES");
  CHECK(text_of(first, "email") == lower("mixed." + email)); // stored lower-cased

  auto again = auth.call("POST", "/api/auth/register", AuthHost::registration("MIXED." + email, "MANAGER"),
                         auth.admin().access_token);
  require_problem(again, 409);
}

TEST_CASE("a deleted user is answered 202, stays as an inactive user and can no longer sign in",
          "[auth-plugin][routes]") {
  AuthHost auth;
  Account user = auth.create_user("SALES");

  auto r = auth.call("DELETE", "/api/auth/users/" + user.id, "", auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 202);
  REQUIRE(r.json()->has("workflowInstanceId"));

  auto got = auth.get("/api/auth/users/" + user.id, auth.admin().access_token);
  REQUIRE(got.status == 200);
  CHECK_FALSE(got.json()->getValue<bool>("active"));

  require_problem(auth.login(user.email, user.password), 401);
  require_problem(auth.refresh(user.refresh_token), 401);
  // Its access token dies with it (the principal provider reports it inactive).
  require_problem(auth.get("/api/auth/me", user.access_token), 401);
  // Deleting it again is a conflict.
  require_problem(auth.call("DELETE", "/api/auth/users/" + user.id, "", auth.admin().access_token), 409);
}

TEST_CASE("an ADMIN cannot delete itself", "[auth-plugin][routes]") {
  AuthHost auth;
  auto r = auth.call("DELETE", "/api/auth/users/" + auth.admin().id, "", auth.admin().access_token);
  auto problem = require_problem(r, 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"id"});
  REQUIRE(auth.get("/api/auth/me", auth.admin().access_token).status == 200);
}

TEST_CASE("a malformed user id is a 422 and an unknown one a 404", "[auth-plugin][routes]") {
  AuthHost auth;
  auto malformed = require_problem(auth.get("/api/auth/users/not-a-uuid", auth.admin().access_token), 422);
  CHECK(error_fields(malformed) == std::vector<std::string>{"id"});
  require_problem(auth.get("/api/auth/users/" + random_uuid(), auth.admin().access_token), 404);
}

TEST_CASE("the user list pages in email order through nextCursor until it is null", "[auth-plugin][routes]") {
  AuthHost auth;
  std::set<std::string> created{auth.admin().id};
  for (int i = 0; i < 4; ++i) created.insert(auth.create_user_only("SALES").id);

  std::vector<std::string> seen_ids, seen_emails;
  std::string path = "/api/auth/users?limit=2";
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto r = auth.get(path, auth.admin().access_token);
    INFO(path << " -> " << r.body);
    REQUIRE(r.status == 200);
    auto page = r.json();
    auto items = page->getArray("items");
    REQUIRE(items);
    CHECK(items->size() <= 2);
    for (size_t i = 0; i < items->size(); ++i) {
      seen_ids.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "id"));
      seen_emails.push_back(text_of(items->getObject(static_cast<unsigned>(i)), "email"));
    }
    if (page->isNull("nextCursor")) break;
    path = "/api/auth/users?limit=2&cursor=" + page->getValue<std::string>("nextCursor");
  }
  CHECK(pages == 2); // 5 users: 2 + 2 + 1
  CHECK(std::set<std::string>(seen_ids.begin(), seen_ids.end()) == created);
  CHECK(seen_ids.size() == created.size());
  CHECK(std::is_sorted(seen_emails.begin(), seen_emails.end()));

  for (const char* bad : {"limit=0", "limit=201", "limit=ten", "cursor=%21%21"}) {
    INFO(bad);
    require_problem(auth.get(std::string("/api/auth/users?") + bad, auth.admin().access_token), 422);
  }
}

TEST_CASE("the user list filters by role, activity and a case-insensitive search of email or name",
          "[auth-plugin][routes]") {
  AuthHost auth;
  Account manager = auth.create_user_only("MANAGER");
  Account sales = auth.create_user_only("SALES");
  Account gone = auth.create_user_only("SALES");
  REQUIRE(auth.call("DELETE", "/api/auth/users/" + gone.id, "", auth.admin().access_token).status == 202);
  const std::string& token = auth.admin().access_token;

  CHECK(AuthHost::ids_of(auth.get("/api/auth/users?role=MANAGER", token)) == std::vector<std::string>{manager.id});
  CHECK(AuthHost::ids_of(auth.get("/api/auth/users?role=SALES&active=true", token)) ==
        std::vector<std::string>{sales.id});
  CHECK(AuthHost::ids_of(auth.get("/api/auth/users?active=false", token)) == std::vector<std::string>{gone.id});
  std::string local = sales.email.substr(0, sales.email.find('@'));
  for (auto& c : local) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(AuthHost::ids_of(auth.get("/api/auth/users?q=" + local, token)) == std::vector<std::string>{sales.id});
  // Names are "User <local part>": a search in upper case finds them too.
  auto by_name = AuthHost::ids_of(auth.get("/api/auth/users?q=USER%20MANAGER", token));
  CHECK(by_name == std::vector<std::string>{manager.id});
  require_problem(auth.get("/api/auth/users?role=KING", token), 422);
  require_problem(auth.get("/api/auth/users?active=maybe", token), 422);
}

TEST_CASE("a PATCH by an ADMIN changes the fields it names and keeps the others", "[auth-plugin][routes]") {
  AuthHost auth;
  Account manager = auth.create_user_only("MANAGER");
  Account user = auth.create_user_only("SALES");
  auto before = auth.get("/api/auth/users/" + user.id, auth.admin().access_token).json();
  std::this_thread::sleep_for(std::chrono::milliseconds(5)); // updatedAt has millisecond precision

  auto r = auth.call("PATCH", "/api/auth/users/" + user.id,
                     R"({"name":"New Name","role":"MANAGER","managerId":")" + manager.id + R"("})",
                     auth.admin().access_token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto after = r.json();
  CHECK(text_of(after, "name") == "New Name");
  CHECK(text_of(after, "role") == "MANAGER");
  CHECK(text_of(after, "managerId") == manager.id);
  CHECK(text_of(after, "email") == text_of(before, "email"));
  CHECK(text_of(after, "createdAt") == text_of(before, "createdAt"));
  CHECK(text_of(after, "updatedAt") > text_of(before, "updatedAt"));

  // null clears the manager.
  auto cleared = auth.call("PATCH", "/api/auth/users/" + user.id, R"({"managerId":null})", auth.admin().access_token);
  REQUIRE(cleared.status == 200);
  CHECK(cleared.json()->isNull("managerId"));
}

TEST_CASE("a PATCH with a field the API does not know is refused with 422 and changes nothing",
          "[auth-plugin][routes]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  auto r = auth.call("PATCH", "/api/auth/users/" + user.id, R"({"name":"Changed","email":"x@example.com"})",
                     auth.admin().access_token);
  auto problem = require_problem(r, 422);
  CHECK(error_fields(problem) == std::vector<std::string>{"email"});
  auto got = auth.get("/api/auth/users/" + user.id, auth.admin().access_token).json();
  CHECK(text_of(got, "name") != "Changed");
  CHECK(text_of(got, "email") == user.email);
}

TEST_CASE("a new password set by an ADMIN replaces the old one at the next login", "[auth-plugin][routes]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  auto weak = auth.call("PATCH", "/api/auth/users/" + user.id, R"({"password":"short"})", auth.admin().access_token);
  CHECK(error_fields(require_problem(weak, 422)) == std::vector<std::string>{"password"});

  auto r =
      auth.call("PATCH", "/api/auth/users/" + user.id, R"({"password":"Another-good-77"})", auth.admin().access_token);
  REQUIRE(r.status == 200);
  require_problem(auth.login(user.email, user.password), 401);
  CHECK(auth.login(user.email, "Another-good-77").status == 200);
}

TEST_CASE("without self-registration an anonymous caller cannot register and gets 401", "[auth-plugin][routes]") {
  AuthHost auth;
  const std::string email = unique_email("anon");
  require_problem(auth.call("POST", "/api/auth/register", AuthHost::registration(email, "")), 401);
  require_problem(auth.login(email, kUserPassword), 401);
}

TEST_CASE("with self-registration on, an anonymous caller registers as SALES whatever role it asks for",
          "[auth-plugin][routes]") {
  AuthHostOptions options;
  options.extra_config = {"plugin.auth.self_register = true"};
  AuthHost auth(options);
  const std::string email = unique_email("self");

  auto r = auth.call("POST", "/api/auth/register", AuthHost::registration(email, "ADMIN"));
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK(text_of(r.json(), "role") == "SALES");
  CHECK(r.json()->isNull("managerId"));
  CHECK(auth.login(email, kUserPassword).status == 200);

  // Choosing a manager stays an ADMIN's decision.
  auto with_manager =
      auth.call("POST", "/api/auth/register", AuthHost::registration(unique_email("self"), "", auth.admin().id));
  CHECK(error_fields(require_problem(with_manager, 422)) == std::vector<std::string>{"managerId"});
}
