// UserCreation: a new user, as registered by an ADMIN, by self-registration or
// as the first admin: policy, hash, manager check, insert, user.created.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace auth {

struct NewUser {
  std::string email; // lower-cased by the caller
  std::string name;
  std::string role; // ADMIN, MANAGER or SALES
  std::optional<std::string> manager_id;
  std::string password;
};

// Creates the user and emits user.created {user}; returns the user's JSON.
// Throws crm::invalid for a weak password or a manager that is not an active
// user, crm::conflict when the email is taken (in any case).
std::string create_user(crm::Call& call, const NewUser& user);

} // namespace auth
