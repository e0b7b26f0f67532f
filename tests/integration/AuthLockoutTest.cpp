// Login lockout: five failed logins for one address lock it (429 with
// Retry-After) even for the right password; an unknown address is answered
// and locked exactly like a real one, so logins reveal no accounts.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <cctype>

using namespace itest;

namespace {

constexpr int kAllowedFailures = 5;

void fail_logins(AuthHost& auth, const std::string& email, int times) {
  for (int i = 0; i < times; ++i) {
    auto r = auth.login(email, "Wrong-password-" + std::to_string(i));
    INFO("failed login " << i + 1 << " for " << email);
    require_problem(r, 401);
  }
}

void require_locked(const Response& r) {
  require_problem(r, 429);
  auto retry_after = r.header("Retry-After");
  REQUIRE(retry_after);
  const long seconds = std::stol(*retry_after);
  CHECK(seconds > 0);
  CHECK(seconds <= 900);
}

} // namespace

TEST_CASE("after five wrong passwords even the right password is refused with 429 and Retry-After",
          "[auth-plugin][lockout]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  fail_logins(auth, user.email, kAllowedFailures);
  require_locked(auth.login(user.email, user.password));
  // The address in another case is the same address.
  std::string upper = user.email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  require_locked(auth.login(upper, user.password));
}

TEST_CASE("an unknown address gets the same 401 as a wrong password", "[auth-plugin][lockout]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  auto wrong_password = auth.login(user.email, "Wrong-password-1");
  auto unknown = auth.login(unique_email("nobody"), "Wrong-password-1");
  auto p1 = require_problem(wrong_password, 401);
  auto p2 = require_problem(unknown, 401);
  CHECK(text_of(p1, "title") == text_of(p2, "title"));
  CHECK(text_of(p1, "detail") == text_of(p2, "detail"));
  CHECK(text_of(p1, "type") == text_of(p2, "type"));
  CHECK(wrong_password.content_type() == unknown.content_type());
  CHECK(contains_nocase(text_of(p1, "detail"), "invalid email or password"));
}

TEST_CASE("an unknown address is locked after five attempts like a real one", "[auth-plugin][lockout]") {
  AuthHost auth;
  const std::string nobody = unique_email("nobody");
  fail_logins(auth, nobody, kAllowedFailures);
  require_locked(auth.login(nobody, "Wrong-password-x"));
}

TEST_CASE("a successful login clears the failures counted before it", "[auth-plugin][lockout]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  fail_logins(auth, user.email, kAllowedFailures - 1);
  REQUIRE(auth.login(user.email, user.password).status == 200);
  fail_logins(auth, user.email, kAllowedFailures - 1);
  CHECK(auth.login(user.email, user.password).status == 200);
}

TEST_CASE("a locked address does not lock anyone else", "[auth-plugin][lockout]") {
  AuthHost auth;
  Account locked = auth.create_user_only("SALES");
  Account other = auth.create_user_only("SALES");
  fail_logins(auth, locked.email, kAllowedFailures);
  require_locked(auth.login(locked.email, locked.password));
  CHECK(auth.login(other.email, other.password).status == 200);
}

TEST_CASE("an inactive user is refused with the same 401 as a wrong password", "[auth-plugin][lockout]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  auto wrong = require_problem(auth.login(user.email, "Wrong-password-1"), 401);
  REQUIRE(auth.call("PATCH", "/api/auth/users/" + user.id, R"({"active":false})", auth.admin().access_token).status ==
          200);
  auto inactive = require_problem(auth.login(user.email, user.password), 401);
  CHECK(text_of(inactive, "detail") == text_of(wrong, "detail"));
}
