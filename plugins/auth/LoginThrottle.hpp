// LoginThrottle: what failed logins cost, per the lockout policy (Settings).
//
// Failures are counted twice, in the host's shared counters (Redis) so every
// host sees them, keyed by the lower-cased email so an unknown address is
// treated exactly like a real one:
// - per account and client address: `address_failures` within `lock_seconds`
//   lock that pair for `lock_seconds`, even for the right password. The same
//   account from another address is not affected, so nobody can lock the
//   owner out by guessing from elsewhere.
// - per account, from every address: beyond `account_failures` within
//   `account_window_seconds`, each further failure holds the account for
//   1 s, 2 s, 4 s, ... (`first_hold_seconds` doubling, at most
//   `lock_seconds`), from every address. That
//   bounds guessing spread over many addresses while the owner waits at worst
//   one delay.
// A success clears its own address's failures only: the account's count
// keeps running, or a guesser could reset it by the owner's logins.
#pragma once

#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <cstdint>
#include <string>

namespace auth {

class LoginThrottle {
public:
  LoginThrottle(crm::Call& call, std::string email, const LockoutPolicy& policy);

  // When this address is locked for the account, or the account is held:
  // sets Retry-After, audits LOCKED, keeps that audit entry, and throws
  // crm::rate_limited. Otherwise returns.
  void refuse_if_locked();
  // Counts one failure (locking the pair, or holding the account, when a
  // threshold is reached), audits FAILURE with `reason` (for the audit log
  // only, never for the caller) and keeps the entries though the call fails.
  void record_failure(const std::string& reason);
  // A successful login forgets earlier failures from the same address.
  void record_success();

  // How long the account is held after its n-th failure (0: not held).
  static std::int64_t hold_seconds(std::int64_t account_failures, const LockoutPolicy& policy);

private:
  // The client address holds no space and comes first, so no email can make
  // two pairs share a key.
  std::string pair_failures_key() const { return "addr-fail:" + client_ip_ + " " + email_; }
  std::string pair_lock_key() const { return "addr-lock:" + client_ip_ + " " + email_; }
  std::string account_failures_key() const { return "acct-fail:" + email_; }
  std::string account_hold_key() const { return "acct-hold:" + email_; }

  [[noreturn]] void refuse(std::int64_t retry_after, const char* scope);

  crm::Call& call_;
  std::string email_;
  std::string client_ip_;
  const LockoutPolicy& policy_;
};

} // namespace auth
