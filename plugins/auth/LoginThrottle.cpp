// LoginThrottle: see the header.
#include "LoginThrottle.hpp"

#include <algorithm>

namespace auth {

namespace {

// A call without a client address (not over HTTP) still gets a pair of its own.
std::string address_of(const crm::Call& call) {
  const auto ip = call.info("client_ip");
  return ip.empty() ? std::string("-") : std::string(ip);
}

} // namespace

LoginThrottle::LoginThrottle(crm::Call& call, std::string email, const LockoutPolicy& policy)
    : call_(call), email_(std::move(email)), client_ip_(address_of(call)), policy_(policy) {}

std::int64_t LoginThrottle::hold_seconds(std::int64_t account_failures, const LockoutPolicy& policy) {
  if (account_failures < policy.account_failures) return 0;
  const std::int64_t cap = policy.lock_seconds;
  const std::int64_t doublings = account_failures - policy.account_failures; // 0 for the first hold
  if (doublings >= 32) return cap; // past any cap; the shift below cannot overflow
  return std::min<std::int64_t>(std::int64_t{policy.first_hold_seconds} << doublings, cap);
}

void LoginThrottle::refuse_if_locked() {
  // Read with a 1 s expiry: a read of an absent counter leaves no key behind
  // for long (an attacker trying random emails would otherwise fill Redis).
  const auto pair_lock = call_.counter_add(pair_lock_key(), 0, 1);
  if (pair_lock.value > 0) refuse(pair_lock.ttl_left, "address");
  const auto hold = call_.counter_add(account_hold_key(), 0, 1);
  if (hold.value > 0) refuse(hold.ttl_left, "account");
}

void LoginThrottle::refuse(std::int64_t retry_after, const char* scope) {
  call_.set_header("Retry-After", std::to_string(std::max<std::int64_t>(retry_after, 1)));
  call_.audit("auth.login", email_, "LOCKED", crm::JsonObject().field("scope", std::string_view(scope)).str());
  call_.commit_on_failure();
  throw crm::rate_limited("too many failed attempts; try again later");
}

void LoginThrottle::record_failure(const std::string& reason) {
  const auto pair = call_.counter_add(pair_failures_key(), 1, policy_.lock_seconds);
  if (pair.value >= policy_.address_failures) {
    call_.counter_reset(pair_lock_key()); // drops the short-lived key a read may have left
    call_.counter_add(pair_lock_key(), 1, policy_.lock_seconds);
    call_.counter_reset(pair_failures_key());
    call_.audit("auth.login", email_, "LOCKED",
                crm::JsonObject().field("scope", std::string_view("address")).field("failures", pair.value).str());
  }
  const auto account = call_.counter_add(account_failures_key(), 1, policy_.account_window_seconds);
  if (const auto hold = hold_seconds(account.value, policy_); hold > 0) {
    call_.counter_reset(account_hold_key());
    call_.counter_add(account_hold_key(), 1, static_cast<unsigned>(hold));
    call_.audit("auth.login", email_, "LOCKED",
                crm::JsonObject()
                    .field("scope", std::string_view("account"))
                    .field("failures", account.value)
                    .field("holdSeconds", hold)
                    .str());
  }
  call_.audit("auth.login", email_, "FAILURE", crm::JsonObject().field("reason", std::string_view(reason)).str());
  call_.commit_on_failure();
}

void LoginThrottle::record_success() { call_.counter_reset(pair_failures_key()); }

} // namespace auth
