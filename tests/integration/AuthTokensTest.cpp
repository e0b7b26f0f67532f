// Sessions of the auth plugin: refresh-token rotation, reuse detection that
// revokes a whole family, logout revoking both tokens, and access tokens that
// are tampered with or expired.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

// `token` with one character changed, `offset` characters into its part
// number `part` (0 header, 1 payload, 2 signature). A character inside a part
// carries six bits of data, so the bytes do change.
std::string with_char_changed(std::string token, int part, size_t offset) {
  size_t start = 0;
  for (int i = 0; i < part; ++i) {
    start = token.find('.', start);
    REQUIRE(start != std::string::npos);
    ++start;
  }
  REQUIRE(start + offset < token.size());
  char& c = token[start + offset];
  c = c == 'Q' ? 'g' : 'Q';
  return token;
}

} // namespace

TEST_CASE("a refresh answers a new pair and the refresh token it consumed no longer works", "[auth-plugin][tokens]") {
  AuthHost auth;
  Account user = auth.create_user("SALES");

  auto r = auth.refresh(user.refresh_token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto session = r.json();
  const std::string next_refresh = text_of(session, "refreshToken");
  const std::string next_access = text_of(session, "accessToken");
  CHECK(next_refresh != user.refresh_token);
  CHECK(text_of(session, "tokenType") == "Bearer");
  CHECK(text_of(session->getObject("user"), "id") == user.id);

  auto me = auth.get("/api/auth/me", next_access);
  REQUIRE(me.status == 200);
  CHECK(text_of(me.json(), "id") == user.id);
  // The new refresh token works once...
  auto again = auth.refresh(next_refresh);
  INFO(again.body);
  CHECK(again.status == 200);

  // ...and the consumed one is refused (as a reuse: see the next test).
  require_problem(auth.refresh(user.refresh_token), 401);
}

TEST_CASE("a used refresh token presented again revokes its whole family and only that family",
          "[auth-plugin][tokens]") {
  AuthHost auth;
  Account user = auth.create_user("SALES");
  const std::string first = user.refresh_token;
  // A second session of the same user: another family.
  auto other = auth.login(user.email, user.password);
  REQUIRE(other.status == 200);
  const std::string other_family = text_of(other.json(), "refreshToken");

  auto rotated = auth.refresh(first);
  REQUIRE(rotated.status == 200);
  const std::string newest = text_of(rotated.json(), "refreshToken");

  CHECK(auth.audit_entries("action=auth.refresh&outcome=REUSE_DETECTED")->size() == 0);
  require_problem(auth.refresh(first), 401); // the reuse
  auto reuse = auth.audit_entries("action=auth.refresh&outcome=REUSE_DETECTED");
  REQUIRE(reuse->size() == 1);
  CHECK(text_of(reuse->getObject(0), "resourceId") == user.id);

  require_problem(auth.refresh(newest), 401); // the family died with it
  CHECK(auth.refresh(other_family).status == 200);
}

TEST_CASE("after logout the access token is refused with 401 and the refresh token is dead", "[auth-plugin][tokens]") {
  AuthHost auth;
  Account user = auth.create_user("MANAGER");
  REQUIRE(auth.get("/api/auth/me", user.access_token).status == 200);

  auto r =
      auth.call("POST", "/api/auth/logout", R"({"refreshToken":")" + user.refresh_token + R"("})", user.access_token);
  INFO(r.body);
  REQUIRE(r.status == 204);
  CHECK(r.body.empty());

  require_problem(auth.get("/api/auth/me", user.access_token), 401);
  require_problem(auth.refresh(user.refresh_token), 401);
  // Signing in again works: logout ends a session, not the account.
  CHECK(auth.login(user.email, user.password).status == 200);
}

TEST_CASE("logout leaves a refresh token of another user alone", "[auth-plugin][tokens]") {
  AuthHost auth;
  Account victim = auth.create_user("SALES");
  Account other = auth.create_user("SALES");
  auto r = auth.call("POST", "/api/auth/logout", R"({"refreshToken":")" + victim.refresh_token + R"("})",
                     other.access_token);
  REQUIRE(r.status == 204);
  CHECK(auth.refresh(victim.refresh_token).status == 200);
}

TEST_CASE("an access token whose payload was tampered with is refused with 401", "[auth-plugin][tokens]") {
  AuthHost auth;
  const std::string token = auth.admin().access_token;
  REQUIRE(auth.get("/api/auth/me", token).status == 200);
  require_problem(auth.get("/api/auth/me", with_char_changed(token, 1, 10)), 401);
  require_problem(auth.get("/api/auth/me", with_char_changed(token, 2, 10)), 401);
}

TEST_CASE("an expired access token of a real user is refused with 401", "[auth-plugin][tokens]") {
  AuthHost auth;
  const std::string id = auth.admin().id;
  // The same claims, valid: accepted, so the 401 below is the expiry's.
  REQUIRE(auth.get("/api/auth/me", mint_token("ADMIN", id)).status == 200);
  TokenOverrides expired;
  expired.issued_ago = std::chrono::seconds(1200);
  expired.expires_in = std::chrono::seconds(-600);
  require_problem(auth.get("/api/auth/me", mint_token("ADMIN", id, expired)), 401);
}

TEST_CASE("a valid token for a user the auth plugin does not know is refused with 401", "[auth-plugin][tokens]") {
  AuthHost auth;
  require_problem(auth.get("/api/auth/me", mint_token("ADMIN", random_uuid())), 401);
}

TEST_CASE("a refresh token of a deactivated user is dead", "[auth-plugin][tokens]") {
  AuthHost auth;
  Account user = auth.create_user("SALES");
  auto r = auth.call("PATCH", "/api/auth/users/" + user.id, R"({"active":false})", auth.admin().access_token);
  REQUIRE(r.status == 200);
  require_problem(auth.refresh(user.refresh_token), 401);
  require_problem(auth.login(user.email, user.password), 401);
}

TEST_CASE("an access token issued before a role change is refused, and a refresh carries the new role",
          "[auth-plugin][tokens]") {
  AuthHost auth;
  Account user = auth.create_user("MANAGER");
  REQUIRE(auth.get("/api/auth/users", user.access_token).status == 200);

  auto demoted = auth.call("PATCH", "/api/auth/users/" + user.id, R"({"role":"SALES"})", auth.admin().access_token);
  REQUIRE(demoted.status == 200);
  require_problem(auth.get("/api/auth/users", user.access_token), 401);

  auto r = auth.refresh(user.refresh_token);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(text_of(r.json()->getObject("user"), "role") == "SALES");
  const std::string token = text_of(r.json(), "accessToken");
  require_problem(auth.get("/api/auth/users", token), 403);
  CHECK(auth.get("/api/auth/me", token).status == 200);
}
