// UserCreation: see the header.
#include "UserCreation.hpp"

#include "Passwords.hpp"
#include "UserRecords.hpp"

#include <crm/sdk/text_rules.hpp>

namespace auth {

std::string create_user(crm::Call& call, const NewUser& user) {
  if (!crm::looks_like_email(user.email)) throw crm::invalid("email", "must be an email address");
  check_password_policy(user.password, user.email);
  // Hashed before the first statement: the ~50 ms of argon2id need no
  // database connection held open.
  const std::string password_hash = hash_password(user.password);
  if (user.manager_id) users::require_active(call, *user.manager_id, "managerId");

  auto rows = call.sql(R"sql(
    insert into users as u (email, name, role, manager_id, password_hash)
    values ($1, $2, $3, $4::uuid, $5)
    on conflict ((lower(email))) do nothing
    returning u.id, user_json(u))sql",
                       {user.email, user.name, user.role, user.manager_id, password_hash});
  if (rows.empty()) throw crm::conflict("a user with this email already exists");
  const std::string id(*rows.at(0, 0));
  std::string json(*rows.at(0, 1));
  call.emit("user.created", id, crm::JsonObject().raw("user", json).str());
  return json;
}

} // namespace auth
