// Settings: the plugin's configuration, the host keys plugin.auth.* handed to
// init as a flat JSON object of strings ({"self_register": "true"}).
#pragma once

#include <string_view>

namespace auth {

// When failed logins lock an account (LoginThrottle). Two counts: one per
// account and client address, which locks that pair only, so a stranger's
// guesses never lock the owner out of its own address; and one per account
// from every address, with a much higher threshold, beyond which every
// further failure holds the account for a delay that doubles each time, so
// guessing from many addresses stays slow without a long lock-out.
struct LockoutPolicy {
  // Failures of one account from one address that lock that pair
  // (plugin.auth.lockout_failures).
  int address_failures = 5;
  // The window those failures are counted in, and how long the pair then
  // stays locked, seconds (plugin.auth.lockout_seconds). Also the longest
  // hold of an account.
  unsigned lock_seconds = 900;
  // The failure of one account, counted over all addresses, from which on
  // each failure holds the account: the first for first_hold_seconds, each
  // further one twice as long, up to lock_seconds
  // (plugin.auth.account_lockout_failures).
  int account_failures = 50;
  // The first of those holds, seconds (plugin.auth.account_hold_seconds).
  unsigned first_hold_seconds = 1;
  // The window the account's failures are counted in, seconds, from the
  // first one (plugin.auth.account_lockout_window_seconds).
  unsigned account_window_seconds = 3600;
};

struct Settings {
  // Anyone may register as SALES without a token (plugin.auth.self_register).
  bool self_register = false;
  LockoutPolicy lockout;
};

// Reads the JSON init receives; unknown keys are ignored, a malformed text or
// a lockout number that is not a positive integer throws.
Settings parse_settings(std::string_view config_json);

// The settings in force. Written once by init, before any handler runs, and
// only read afterwards: no lock needed.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace auth
