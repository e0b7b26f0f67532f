// UserRecords: the reads and checks on auth.users that several operations
// share. The user JSON itself is built by the SQL function user_json()
// (see Migrations.hpp).
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace auth::users {

// The API's user JSON for `id` (a valid UUID), or nullopt when there is none.
std::optional<std::string> json_of(crm::Call& call, const std::string& id);

// What a login needs to know about the account behind an email.
struct LoginAccount {
  std::string id;
  std::string role;
  std::string password_hash;
  bool active = false;
};
std::optional<LoginAccount> find_for_login(crm::Call& call, const std::string& email);

// The row of `id` locked for an update (FOR UPDATE), or nullopt.
struct Account {
  std::string id;
  std::string email;
  std::string name;
  std::string role;
  std::optional<std::string> manager_id;
  bool active = false;
};
std::optional<Account> lock(crm::Call& call, const std::string& id);

bool is_active(crm::Call& call, const std::string& id);
// Throws crm::invalid(field) unless `id` names an active user.
void require_active(crm::Call& call, const std::string& id, const std::string& field);

// True when `user` is `manager` itself or one of the managers above it: making
// `user` report to `manager` would close a loop.
bool is_in_chain_above(crm::Call& call, const std::string& manager, const std::string& user);

} // namespace auth::users
