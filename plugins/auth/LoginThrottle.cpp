// LoginThrottle: see the header.
#include "LoginThrottle.hpp"

namespace auth {

LoginThrottle::LoginThrottle(crm::Call& call, std::string email) : call_(call), email_(std::move(email)) {}

void LoginThrottle::refuse_if_locked() {
  const auto lock = call_.counter_add(lock_key(), 0);
  if (lock.value <= 0) return;
  const std::int64_t retry_after = lock.ttl_left > 0 ? lock.ttl_left : static_cast<std::int64_t>(kWindowSeconds);
  call_.set_header("Retry-After", std::to_string(retry_after));
  call_.audit("auth.login", email_, "LOCKED");
  call_.commit_on_failure();
  throw crm::rate_limited("too many failed attempts; try again later");
}

void LoginThrottle::record_failure(const std::string& reason) {
  const auto failures = call_.counter_add(failures_key(), 1, kWindowSeconds);
  if (failures.value >= kMaxFailures) {
    call_.counter_add(lock_key(), 1, kWindowSeconds);
    call_.counter_reset(failures_key());
    call_.audit("auth.login", email_, "LOCKED", crm::JsonObject().field("failures", failures.value).str());
  }
  call_.audit("auth.login", email_, "FAILURE", crm::JsonObject().field("reason", std::string_view(reason)).str());
  call_.commit_on_failure();
}

void LoginThrottle::record_success() { call_.counter_reset(failures_key()); }

} // namespace auth
