// Scope: see the header.
#include "Scope.hpp"

#include "InputRules.hpp"
#include "JsonScan.hpp"

namespace customer {

Scope Scope::of(crm::Call& call) { return of_principal(call.principal_json()); }

Scope Scope::of_principal(std::string_view principal_json) {
  Scope s;
  const auto raw_role = json::member(principal_json, "role");
  const std::string_view role = raw_role ? json::plain_string(*raw_role).value_or("") : "";
  if (role == "ADMIN" || role == "system" || role == "SYSTEM") {
    s.all_ = true;
  } else if (role == "MANAGER") {
    s.manager_ = true;
    if (auto team = json::member(principal_json, "team")) s.team_ = *team;
  }
  if (auto raw_id = json::member(principal_json, "id")) {
    // A user's id is a UUID; anything else (the host's "system") owns nothing.
    if (auto id = json::plain_string(*raw_id); id && is_uuid(*id)) s.user_id_ = *id;
  }
  return s;
}

bool Scope::may_see(std::string_view owner_id) const {
  if (all_) return true;
  if (!user_id_.empty() && owner_id == user_id_) return true;
  if (!manager_) return false;
  return json::any_string(team_, [&](std::string_view member) { return member == owner_id; });
}

std::optional<std::string> Scope::owners_array() const {
  if (all_) return std::nullopt;
  std::string out = "{";
  if (!user_id_.empty()) out += user_id_;
  if (manager_) {
    json::any_string(team_, [&](std::string_view member) {
      if (is_uuid(member)) {
        if (out.size() > 1) out.push_back(',');
        out += member;
      }
      return false;
    });
  }
  return out + "}";
}

} // namespace customer
