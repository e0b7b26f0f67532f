// LoginHandler: POST /api/auth/login. Email and password in, a session out.
//
// Every way to fail (unknown email, wrong password, inactive user) gives the
// same 401 with the same words after the same argon2id work, so a caller
// learns nothing about which accounts exist. Failures are counted per account
// and client address, and per account (LoginThrottle), and audited; the audit
// entries survive the failed call.
#include "Handlers.hpp"

#include "LoginThrottle.hpp"
#include "Passwords.hpp"
#include "Settings.hpp"
#include "Sessions.hpp"
#include "UserRecords.hpp"

#include <crm/sdk/text_rules.hpp>

namespace auth {

namespace {

constexpr const char* kBadCredentials = "invalid email or password";

// Stamps the login and returns the user as the API shows it.
std::string record_login(crm::Call& call, const std::string& id) {
  auto rows = call.sql("update users u set last_login_at = now() where u.id = $1::uuid returning user_json(u)", {id});
  return std::string(*rows.at(0, 0));
}

} // namespace

void login(crm::Call& call) {
  const auto& in = call.input();
  const std::string email = crm::lower_ascii(in.required_text("email"));
  const std::string password = in.text("password").value_or("");

  LoginThrottle throttle(call, email, settings().lockout);
  throttle.refuse_if_locked();

  const auto account = users::find_for_login(call, email);
  // Verified even when there is no account, against a hash nobody can match.
  const bool password_ok = verify_password(account ? account->password_hash : dummy_password_hash(), password);
  if (!account || !password_ok || !account->active) {
    throttle.record_failure(!account ? "unknown email" : !password_ok ? "wrong password" : "inactive user");
    throw crm::unauthenticated(kBadCredentials);
  }
  throttle.record_success();

  const std::string user_json = record_login(call, account->id);
  const std::string reply = open_session(call, account->id, account->role, std::nullopt, user_json);
  call.emit("user.login", account->id, crm::JsonObject().field("userId", std::string_view(account->id)).str());
  call.audit("auth.login", account->id, "SUCCESS");
  call.reply(reply);
}

} // namespace auth
