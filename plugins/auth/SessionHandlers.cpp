// SessionHandlers: the life of a session after the login: refresh (rotate the
// refresh token), logout (revoke both tokens) and me (who am I).
#include "Handlers.hpp"

#include "RefreshTokens.hpp"
#include "Sessions.hpp"
#include "UserRecords.hpp"

#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <ctime>

namespace auth {

namespace {

constexpr const char* kDeadRefreshToken = "the refresh token is invalid or expired";

// The access token the caller came with, as the host describes it in the
// principal: "jti" and "exp" (unix seconds). Empty jti: not a token caller.
struct AccessTokenClaims {
  std::string jti;
  std::int64_t expires_at = 0;
};

AccessTokenClaims claims_of(const crm::Call& call) {
  Poco::JSON::Parser parser;
  auto principal = parser.parse(std::string(call.principal_json())).extract<Poco::JSON::Object::Ptr>();
  AccessTokenClaims c;
  if (principal->has("jti") && !principal->isNull("jti")) c.jti = principal->get("jti").toString();
  if (principal->has("exp") && !principal->isNull("exp")) c.expires_at = principal->get("exp").convert<std::int64_t>();
  return c;
}

} // namespace

// POST /api/auth/refresh {refreshToken}: a new pair; the presented token is
// spent. A spent token presented again revokes its whole family (it leaked:
// either the thief or the owner holds the newest one, and we cannot tell).
void refresh(crm::Call& call) {
  const std::string token = call.input().required_text("refreshToken");
  const auto presented = refresh_tokens::find(call, token);
  if (!presented) throw crm::unauthenticated(kDeadRefreshToken);
  if (presented->spent) {
    refresh_tokens::revoke_family(call, presented->family_id);
    call.audit("auth.refresh", presented->user_id, "REUSE_DETECTED",
               crm::JsonObject().field("familyId", std::string_view(presented->family_id)).str());
    call.commit_on_failure();
    throw crm::unauthenticated(kDeadRefreshToken);
  }
  if (presented->expired || !presented->user_active) throw crm::unauthenticated(kDeadRefreshToken);

  refresh_tokens::mark_used(call, presented->id);
  const auto user_json = users::json_of(call, presented->user_id);
  if (!user_json) throw crm::unauthenticated(kDeadRefreshToken);
  call.reply(open_session(call, presented->user_id, presented->role, presented->family_id, *user_json));
}

// POST /api/auth/logout {refreshToken?}: 204. The access token's jti is
// revoked on every host until it would have expired anyway.
void logout(crm::Call& call) {
  const auto caller = call.principal();
  if (auto token = call.input().text("refreshToken"); token && !token->empty() && crm::is_uuid(caller.id))
    refresh_tokens::revoke_if_owned(call, *token, caller.id);

  const auto claims = claims_of(call);
  if (claims.jti.empty()) {
    call.log(CRM_LOG_WARN, "logout: the principal carries no jti; the access token stays valid until it expires");
    return;
  }
  // A token without exp cannot exist (the host refuses it); a day covers any TTL.
  const std::int64_t expires_at = claims.expires_at > 0 ? claims.expires_at : std::time(nullptr) + 86400;
  call.revoke_access_token(claims.jti, expires_at);
}

// GET /api/auth/me: the caller's user.
void me(crm::Call& call) {
  const auto caller = call.principal();
  if (!crm::is_uuid(caller.id)) throw crm::not_found("user");
  const auto user_json = users::json_of(call, caller.id);
  if (!user_json) throw crm::not_found("user");
  call.reply(*user_json);
}

} // namespace auth
