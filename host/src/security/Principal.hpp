// Principal: who is calling an operation, as the host established it.
#pragma once

#include <string>

namespace crm::security {

struct Principal {
  std::string id;   // user id, "system", or empty for anonymous callers
  // The token's role word (the users' plugin defines them), "system" for the
  // host's own calls, or ANONYMOUS. One spelling of "system" everywhere: in
  // roles lists and in the principal JSON alike (ABI 1.4).
  std::string role;
  std::string json; // what plugins read through crm_host_api.principal
  std::string jti;  // the access token's id, for a token caller
  long long expires_at = 0; // the token's exp (unix seconds)

  bool anonymous() const { return role == "ANONYMOUS"; }
  bool system() const { return role == "system"; }

  static const Principal& anonymous_caller() {
    static const Principal p{"", "ANONYMOUS", R"({"id":null,"role":"ANONYMOUS"})", "", 0};
    return p;
  }
  static const Principal& system_caller() {
    static const Principal p{"system", "system", R"({"id":"system","role":"system"})", "", 0};
    return p;
  }
};

} // namespace crm::security
