// Jwt: access tokens as the host expects them (HS256, kid "test", iss crm-host,
// aud crm-api), with overrides to forge every kind of bad token.
#pragma once

#include "support/Environment.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <chrono>
#include <sstream>
#include <string>

namespace itest {

// The key the harness gives every host: CRM_JWT_KEYS=test:<secret>.
inline constexpr const char* kJwtKid = "test";
inline constexpr const char* kJwtSecret = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kJwtIssuer = "crm-host";
inline constexpr const char* kJwtAudience = "crm-api";

struct TokenOverrides {
  std::string kid = kJwtKid;
  std::string secret = kJwtSecret;
  std::string issuer = kJwtIssuer;
  std::string audience = kJwtAudience;
  // exp = now + expires_in (negative: already expired); iat = now - issued_ago.
  std::chrono::seconds expires_in{300};
  std::chrono::seconds issued_ago{0};
};

inline long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A signed HS256 token for `sub` with `role`; claims as whole seconds.
inline std::string mint_token(const std::string& role, const std::string& sub, const TokenOverrides& o = {}) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.header().set("kid", o.kid);
  token.setSubject(sub);
  token.setIssuer(o.issuer);
  token.setAudience(o.audience);
  token.setId(random_uuid());
  const long long now = unix_now();
  token.payload().set("iat", static_cast<Poco::Int64>(now - o.issued_ago.count()));
  token.payload().set("exp", static_cast<Poco::Int64>(now + o.expires_in.count()));
  token.payload().set("role", role);
  Poco::JWT::Signer signer(o.secret);
  return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

inline std::string base64url(const std::string& data) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << data;
  encoder.close();
  return out.str();
}

// An unsigned token ("alg": "none") with otherwise valid claims.
inline std::string unsigned_token(const std::string& role, const std::string& sub) {
  const long long now = unix_now();
  std::string header = R"({"alg":"none","typ":"JWT","kid":"test"})";
  std::string payload = R"({"sub":")" + sub + R"(","role":")" + role + R"(","iss":")" + kJwtIssuer +
                        R"(","aud":")" + kJwtAudience + R"(","iat":)" + std::to_string(now) +
                        R"(,"exp":)" + std::to_string(now + 300) + R"(,"jti":")" + random_uuid() + R"("})";
  return base64url(header) + "." + base64url(payload) + ".";
}

inline std::string bearer(const std::string& token) { return "Bearer " + token; }

} // namespace itest
