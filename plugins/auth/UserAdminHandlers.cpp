// UserAdminHandlers: an ADMIN changing users. PATCH /api/auth/users/{id}
// (name, role, manager, active, password) and DELETE /api/auth/users/{id}
// (deactivation: users are never removed, their records keep an owner).
//
// Principals cache each user's team: a change of role, manager or activity
// reshapes teams, so every cached principal is dropped; other changes drop
// only the user's own.
#include "Handlers.hpp"

#include "Passwords.hpp"
#include "RefreshTokens.hpp"
#include "UserRecords.hpp"

#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace auth {

namespace {

// The fields of a PATCH as sent; absent fields are nullopt. managerId may be
// sent as null to clear it, so "given" and "value" are kept apart.
struct UserChanges {
  std::optional<std::string> name;
  std::optional<std::string> role;
  bool manager_given = false;
  std::optional<std::string> manager_id;
  std::optional<bool> active;
  std::optional<std::string> password;

  static UserChanges of(const crm::Input& in) {
    UserChanges c;
    c.name = in.text("name");
    c.role = in.text("role");
    c.manager_given = in.object().has("managerId");
    c.manager_id = crm::optional_uuid(in, "managerId");
    c.active = in.boolean("active");
    c.password = in.text("password");
    return c;
  }

  // The names of the fields whose value differs from `now`.
  std::vector<std::string> differences(const users::Account& now) const {
    std::vector<std::string> out;
    if (name && *name != now.name) out.push_back("name");
    if (role && *role != now.role) out.push_back("role");
    if (manager_given && manager_id != now.manager_id) out.push_back("managerId");
    if (active && *active != now.active) out.push_back("active");
    if (password) out.push_back("password");
    return out;
  }
};

bool reshapes_teams(const std::vector<std::string>& changed) {
  return std::any_of(changed.begin(), changed.end(),
                     [](const std::string& f) { return f == "role" || f == "managerId" || f == "active"; });
}

// The new manager must be an active user and not below `id` (or `id` itself).
void check_new_manager(crm::Call& call, const std::string& id, const std::string& manager_id) {
  if (manager_id == id) throw crm::invalid("managerId", "a user cannot be its own manager");
  users::require_active(call, manager_id, "managerId");
  if (users::is_in_chain_above(call, manager_id, id))
    throw crm::invalid("managerId", "would make a reporting loop: that user reports to this one");
}

} // namespace

// PATCH /api/auth/users/{id} {name?, role?, managerId?, active?, password?}.
// The input schema refuses unknown fields.
void patch_user(crm::Call& call) {
  const auto caller = call.principal();
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const UserChanges changes = UserChanges::of(in);
  if (id == caller.id && changes.active == false) throw crm::invalid("active", "you cannot deactivate yourself");

  const auto account = users::lock(call, id);
  if (!account) throw crm::not_found("user");
  if (changes.manager_given && changes.manager_id) check_new_manager(call, id, *changes.manager_id);
  std::optional<std::string> password_hash;
  if (changes.password) {
    check_password_policy(*changes.password, account->email);
    password_hash = hash_password(*changes.password);
  }

  const std::vector<std::string> changed = changes.differences(*account);
  if (changed.empty()) {
    call.reply(*users::json_of(call, id));
    return;
  }
  auto rows = call.sql(R"sql(
    update users u set
      name = coalesce($2, u.name),
      role = coalesce($3, u.role),
      manager_id = case when $4::boolean then $5::uuid else u.manager_id end,
      active = coalesce($6::boolean, u.active),
      password_hash = coalesce($7, u.password_hash),
      updated_at = now()
    where u.id = $1::uuid
    returning user_json(u))sql",
                       {id, changes.name, changes.role, changes.manager_given, changes.manager_id,
                        changes.active ? std::optional<std::string>(*changes.active ? "true" : "false") : std::nullopt,
                        password_hash});
  const std::string user_json(*rows.at(0, 0));

  // Deactivated, or a new password (perhaps because the old one leaked): every
  // session ends. Access tokens die at the principal provider (inactive) or expire.
  if ((changes.active == false && account->active) || changes.password) refresh_tokens::revoke_all_of(call, id);
  call.emit("user.updated", id,
            crm::JsonObject()
                .field("id", std::string_view(id))
                .raw("changed", crm::json_string_array(changed))
                .raw("user", user_json)
                .str());
  if (reshapes_teams(changed))
    call.principal_changed();
  else
    call.principal_changed(id);
  call.reply(user_json);
}

// DELETE /api/auth/users/{id}?reassignTo= -> 202 {workflowInstanceId}. The
// user is deactivated and signed out; its records go to `reassignTo`, by
// default its manager (when active); without either the workflow picks an
// ADMIN.
void delete_user(crm::Call& call) {
  const auto caller = call.principal();
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto reassign_to = crm::optional_uuid(in, "reassignTo");
  if (id == caller.id) throw crm::invalid("id", "you cannot delete yourself");

  const auto account = users::lock(call, id);
  if (!account) throw crm::not_found("user");
  if (!account->active) throw crm::conflict("the user is already inactive");

  std::optional<std::string> heir;
  if (reassign_to) {
    if (*reassign_to == id) throw crm::invalid("reassignTo", "must be another user than the one deleted");
    users::require_active(call, *reassign_to, "reassignTo");
    heir = reassign_to;
  } else if (account->manager_id && users::is_active(call, *account->manager_id)) {
    heir = account->manager_id;
  }

  call.sql("update users set active = false, updated_at = now() where id = $1::uuid", {id});
  refresh_tokens::revoke_all_of(call, id);
  const std::string event = call.emit_event(
      "user.deleted", id, crm::JsonObject().field("userId", std::string_view(id)).field("reassignTo", heir).str());
  call.principal_changed(id);
  // user.deleted starts the user_offboarding workflow (the reassignment of
  // the user's records, then the revocation of its tokens), whose instance
  // id follows from the event's.
  call.reply(crm::JsonObject()
                 .field("workflowInstanceId", std::string_view(crm::trigger_instance_id("user_offboarding", event)))
                 .str());
}

// auth.revoke_tokens {userId} (system: the user_offboarding workflow's last
// step) -> {userId, active, refreshTokensRevoked}. An inactive user's refresh
// tokens are revoked and every host forgets its principal, so no token of
// its works from here on. A user made active again since (an ADMIN changed
// their mind) keeps its sessions: active = true, nothing revoked.
void revoke_tokens(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "userId");
  const auto account = users::lock(call, id);
  if (!account) throw crm::not_found("user");
  std::int64_t revoked = 0;
  if (!account->active) {
    auto rows = call.sql("with r as (update refresh_tokens set revoked_at = now() "
                         "where user_id = $1::uuid and revoked_at is null returning 1) select count(*) from r",
                         {id});
    revoked = std::stoll(std::string(*rows.at(0, 0)));
    call.principal_changed(id);
  }
  call.reply(crm::JsonObject()
                 .field("userId", std::string_view(id))
                 .field("active", account->active)
                 .field("refreshTokensRevoked", revoked)
                 .str());
}

} // namespace auth
