// RefreshTokens: see the header.
#include "RefreshTokens.hpp"

#include "SecureRandom.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace auth::refresh_tokens {

namespace {

constexpr size_t kTokenBytes = 32;

std::string sha256_hex(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace

std::string issue(crm::Call& call, const std::string& user_id, const std::optional<std::string>& family_id) {
  std::string token = random_token(kTokenBytes);
  call.sql(R"sql(
    insert into refresh_tokens (id, family_id, user_id, token_hash, expires_at)
    values (gen_random_uuid(), coalesce($1::uuid, gen_random_uuid()), $2::uuid, $3,
            now() + make_interval(days => $4::int)))sql",
           {family_id, user_id, sha256_hex(token), kLifetimeDays});
  return token;
}

std::optional<Presented> find(crm::Call& call, std::string_view token) {
  auto rows = call.sql(R"sql(
    select t.id, t.family_id, t.user_id, u.role,
           t.used_at is not null or t.revoked_at is not null as spent,
           t.expires_at <= now() as expired,
           u.active
    from refresh_tokens t join users u on u.id = t.user_id
    where t.token_hash = $1
    for update of t)sql",
                       {sha256_hex(token)});
  if (rows.empty()) return std::nullopt;
  Presented p;
  p.id = *rows.at(0, "id");
  p.family_id = *rows.at(0, "family_id");
  p.user_id = *rows.at(0, "user_id");
  p.role = *rows.at(0, "role");
  p.spent = *rows.at(0, "spent") == "t";
  p.expired = *rows.at(0, "expired") == "t";
  p.user_active = *rows.at(0, "active") == "t";
  return p;
}

void mark_used(crm::Call& call, const std::string& id) {
  call.sql("update refresh_tokens set used_at = now() where id = $1::uuid", {id});
}

void revoke_family(crm::Call& call, const std::string& family_id) {
  call.sql("update refresh_tokens set revoked_at = now() where family_id = $1::uuid and revoked_at is null",
           {family_id});
}

void revoke_if_owned(crm::Call& call, std::string_view token, const std::string& user_id) {
  call.sql("update refresh_tokens set revoked_at = now() "
           "where token_hash = $1 and user_id = $2::uuid and revoked_at is null",
           {sha256_hex(token), user_id});
}

void revoke_all_of(crm::Call& call, const std::string& user_id) {
  call.sql("update refresh_tokens set revoked_at = now() where user_id = $1::uuid and revoked_at is null", {user_id});
}

} // namespace auth::refresh_tokens
