// TokenVerifier: checks bearer access tokens (JWT, HS256) and turns them into
// principals. Keys are selected by `kid`, so keys can be rotated: tokens are
// signed with the newest key and verified with any configured one. Poco's JWT
// checks only the signature; expiry, not-before, issuer and audience are
// checked here. Thread-safe after construction.
#pragma once

#include "security/Principal.hpp"

#include <Poco/JWT/Signer.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::security {

struct TokenConfig {
  std::vector<std::pair<std::string, std::string>> keys; // (kid, secret), newest last
  std::string issuer = "crm-host";
  std::string audience = "crm-api";
  int leeway_seconds = 30; // clock skew tolerated on exp/nbf
};

// {"id", "role", "jti", "exp", <extra_members>}: what a plugin sees of a
// token caller; extra_members come from the principal provider.
std::string principal_json(const Principal& p, std::string_view extra_members);

class TokenVerifier {
public:
  explicit TokenVerifier(TokenConfig config);

  // Parses "kid:secret,kid:secret". An empty text yields one random key.
  static std::vector<std::pair<std::string, std::string>> parse_keys(const std::string& text);

  // A principal for a valid token, nullopt for anything else (the caller
  // answers 401 without saying why).
  std::optional<Principal> verify(std::string_view token) const;

  // Signs an access token for a user with the newest key (used by the auth
  // plugin through the host, and by tests).
  std::string sign(const std::string& subject, const std::string& role, int ttl_seconds,
                   const std::string& jti) const;

  // Consulted for every token that is otherwise valid (revoked jti).
  void set_revocation_check(std::function<bool(const std::string& jti)> is_revoked) { revoked_ = std::move(is_revoked); }

private:
  TokenConfig config_;
  std::map<std::string, std::unique_ptr<Poco::JWT::Signer>, std::less<>> signers_; // for sign()
  std::map<std::string, std::string, std::less<>> secrets_;                          // kid -> secret, for verify()
  std::function<bool(const std::string&)> revoked_;
};

} // namespace crm::security
