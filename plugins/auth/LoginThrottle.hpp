// LoginThrottle: the lockout of one email address after repeated failed
// logins. Counters live in the host's shared counters (Redis), keyed by the
// lower-cased address, so every host sees them and an unknown address is
// locked exactly like a real one: 5 failures within 15 minutes lock the
// address for 15 minutes, even for the right password.
#pragma once

#include <crm/plugin.hpp>

#include <string>

namespace auth {

class LoginThrottle {
public:
  static constexpr int kMaxFailures = 5;
  static constexpr unsigned kWindowSeconds = 900;

  LoginThrottle(crm::Call& call, std::string email);

  // When the address is locked: sets Retry-After, audits LOCKED, keeps that
  // audit entry, and throws crm::rate_limited. Otherwise returns.
  void refuse_if_locked();
  // Counts one failure (locking the address at the fifth), audits FAILURE with
  // `reason` (for the audit log only, never for the caller) and keeps the
  // entries though the call fails.
  void record_failure(const std::string& reason);
  // A successful login forgets earlier failures.
  void record_success();

private:
  std::string failures_key() const { return "fail:" + email_; }
  std::string lock_key() const { return "lock:" + email_; }

  crm::Call& call_;
  std::string email_;
};

} // namespace auth
