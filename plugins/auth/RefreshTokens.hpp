// RefreshTokens: opaque, single-use refresh tokens in families. A login starts
// a family; each refresh marks its token used and issues the next one in the
// same family. Presenting a used (or revoked) token again means it leaked:
// the whole family is revoked. Only the SHA-256 of a token is stored.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace auth::refresh_tokens {

inline constexpr int kLifetimeDays = 30;

// Stores a new token for `user_id` in `family_id` (a new family when nullopt)
// and returns the token: 32 random bytes, base64url. The only copy.
std::string issue(crm::Call& call, const std::string& user_id, const std::optional<std::string>& family_id);

// A presented token as found, its row locked (FOR UPDATE) so that two
// refreshes with the same token run one after the other.
struct Presented {
  std::string id;
  std::string family_id;
  std::string user_id;
  std::string role;   // the user's role now
  bool spent = false; // used or revoked before
  bool expired = false;
  bool user_active = false;
};
std::optional<Presented> find(crm::Call& call, std::string_view token);

void mark_used(crm::Call& call, const std::string& id);
void revoke_family(crm::Call& call, const std::string& family_id);
// Revokes `token` if it belongs to `user_id`; a stranger's token is left alone.
void revoke_if_owned(crm::Call& call, std::string_view token, const std::string& user_id);
// Every live token of the user (deactivation, deletion).
void revoke_all_of(crm::Call& call, const std::string& user_id);

} // namespace auth::refresh_tokens
