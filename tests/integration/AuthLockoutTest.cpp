// Login lockout: five failed logins for one email from one client address lock
// that pair (429 with Retry-After) even for the right password, while the
// owner still signs in from another address; failures from many addresses
// together hold the account for growing delays. An unknown email is answered
// and locked exactly like a real one, so logins reveal no accounts. The tests
// play several clients by connecting from other loopback addresses.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>

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

void fail_logins_from(AuthHost& auth, const std::string& source_ip, const std::string& email, int times) {
  for (int i = 0; i < times; ++i) {
    auto r = auth.login_from(source_ip, email, "Wrong-password-" + std::to_string(i));
    INFO("failed login " << i + 1 << " for " << email << " from " << source_ip);
    require_problem(r, 401);
  }
}

// The Retry-After of a 429; requires both.
long require_locked(const Response& r) {
  require_problem(r, 429);
  auto retry_after = r.header("Retry-After");
  REQUIRE(retry_after);
  const long seconds = std::stol(*retry_after);
  CHECK(seconds > 0);
  CHECK(seconds <= 900);
  return seconds;
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

TEST_CASE("five failures from one address leave the owner able to sign in from another while that address stays "
          "locked",
          "[auth-plugin][lockout]") {
  AuthHost auth;
  Account owner = auth.create_user_only("SALES");
  const std::string attacker = "127.0.0.2", owners_address = "127.0.0.3";
  fail_logins_from(auth, attacker, owner.email, kAllowedFailures);
  require_locked(auth.login_from(attacker, owner.email, owner.password));

  auto r = auth.login_from(owners_address, owner.email, owner.password);
  INFO("the owner from " << owners_address << " -> " << r.status << " " << r.body);
  CHECK(r.status == 200);
  // The owner's success clears nothing for the attacker's address.
  require_locked(auth.login_from(attacker, owner.email, owner.password));
  require_locked(auth.login_from(attacker, owner.email, "Wrong-password-again"));
  // A third address starts from nothing too.
  fail_logins_from(auth, "127.0.0.4", owner.email, kAllowedFailures - 1);
  CHECK(auth.login_from("127.0.0.4", owner.email, owner.password).status == 200);
}

TEST_CASE("failures from many addresses together hold the account for delays that grow", "[auth-plugin][lockout]") {
  // A low account threshold keeps the test short; the first hold is long
  // enough to be seen on a busy machine.
  constexpr int kAccountFailures = 8;
  constexpr long kFirstHold = 3;
  AuthHostOptions options;
  options.env = {{"CRM_PLUGIN_AUTH_ACCOUNT_LOCKOUT_FAILURES", std::to_string(kAccountFailures)},
                 {"CRM_PLUGIN_AUTH_ACCOUNT_HOLD_SECONDS", std::to_string(kFirstHold)}};
  AuthHost auth(options);
  Account owner = auth.create_user_only("SALES");

  // Below each address's own limit, but eight from the two together.
  fail_logins_from(auth, "127.0.0.2", owner.email, kAllowedFailures - 1);
  fail_logins_from(auth, "127.0.0.3", owner.email, kAccountFailures - (kAllowedFailures - 1));

  // Held from every address, the owner's included, for the first delay.
  const long first = require_locked(auth.login_from("127.0.0.4", owner.email, owner.password));
  CHECK(first <= kFirstHold);
  require_locked(auth.login(owner.email, owner.password));

  // The hold ends by itself: the owner gets in.
  const auto held_since = std::chrono::steady_clock::now();
  std::optional<Response> last;
  REQUIRE(eventually(
      [&] {
        last = auth.login_from("127.0.0.4", owner.email, owner.password);
        return last->status == 200;
      },
      std::chrono::seconds(kFirstHold + 5), std::chrono::milliseconds(200)));
  CHECK(std::chrono::steady_clock::now() - held_since < std::chrono::seconds(kFirstHold + 2));

  // The next failure, from yet another address, holds it twice as long.
  fail_logins_from(auth, "127.0.0.5", owner.email, 1);
  const long second = require_locked(auth.login_from("127.0.0.4", owner.email, owner.password));
  CHECK(second > kFirstHold);
  CHECK(second <= 2 * kFirstHold);
}
