// UserRecords: see the header.
#include "UserRecords.hpp"

namespace auth::users {

std::optional<std::string> json_of(crm::Call& call, const std::string& id) {
  auto rows = call.sql("select user_json(u) as \"user\" from users u where u.id = $1::uuid", {id});
  if (rows.empty()) return std::nullopt;
  return std::string(*rows.at(0, 0));
}

std::optional<LoginAccount> find_for_login(crm::Call& call, const std::string& email) {
  auto rows = call.sql("select id, role, password_hash, active from users where lower(email) = lower($1)", {email});
  if (rows.empty()) return std::nullopt;
  LoginAccount a;
  a.id = *rows.at(0, "id");
  a.role = *rows.at(0, "role");
  a.password_hash = *rows.at(0, "password_hash");
  a.active = *rows.at(0, "active") == "t";
  return a;
}

std::optional<Account> lock(crm::Call& call, const std::string& id) {
  auto rows =
      call.sql("select id, email, name, role, manager_id, active from users where id = $1::uuid for update", {id});
  if (rows.empty()) return std::nullopt;
  Account a;
  a.id = *rows.at(0, "id");
  a.email = *rows.at(0, "email");
  a.name = *rows.at(0, "name");
  a.role = *rows.at(0, "role");
  if (auto m = rows.at(0, "manager_id")) a.manager_id = std::string(*m);
  a.active = *rows.at(0, "active") == "t";
  return a;
}

bool is_active(crm::Call& call, const std::string& id) {
  return !call.sql("select 1 from users where id = $1::uuid and active", {id}).empty();
}

void require_active(crm::Call& call, const std::string& id, const std::string& field) {
  if (!is_active(call, id)) throw crm::invalid(field, "must be an active user");
}

bool is_in_chain_above(crm::Call& call, const std::string& manager, const std::string& user) {
  // Walks up from `manager` through manager_id; UNION (not UNION ALL) stops
  // on a loop that should not exist but must not hang us if it does.
  auto rows = call.sql(R"sql(
    with recursive chain (id, manager_id) as (
      select id, manager_id from users where id = $1::uuid
      union
      select u.id, u.manager_id from users u join chain c on u.id = c.manager_id
    )
    select exists (select 1 from chain where id = $2::uuid))sql",
                       {manager, user});
  return *rows.at(0, 0) == "t";
}

} // namespace auth::users
