// owner_scope.hpp: whose records a caller sees, from its principal: the one
// record rule every context shares. A user sees what it owns; a MANAGER also
// what its team owns (the principal's "team": every user below it,
// transitively, filled in by the principal provider); an ADMIN and the host
// itself (workflows, schedules, events: role "system") everything. Records
// outside the scope answer 404, exactly like records that do not exist.
//
// Read straight from the principal's JSON text (json_scan.hpp): every handler
// needs it, and it is on the hottest reads.
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/json_scan.hpp>
#include <crm/sdk/text_rules.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm {

class OwnerScope {
public:
  static OwnerScope of(const Call& call) { return of_principal(call.principal_json()); }

  static OwnerScope of_principal(std::string_view principal_json) {
    OwnerScope s;
    const auto raw_role = json_scan::member(principal_json, "role");
    s.role_ = std::string(raw_role ? json_scan::plain_string(*raw_role).value_or("") : "");
    if (auto raw_id = json_scan::member(principal_json, "id")) {
      // A user's id is a UUID; anything else (the host's "system") owns nothing.
      if (auto id = json_scan::plain_string(*raw_id); id && is_uuid(*id)) s.user_id_ = lower_ascii(*id);
    }
    if (s.is_manager())
      if (auto team = json_scan::member(principal_json, "team"))
        json_scan::any_string(*team, [&](std::string_view member) {
          if (is_uuid(member)) s.team_.push_back(lower_ascii(member));
          return false;
        });
    return s;
  }

  static OwnerScope of(const Principal& who) {
    OwnerScope s;
    s.role_ = who.role;
    if (is_uuid(who.id)) s.user_id_ = lower_ascii(who.id);
    if (s.is_manager())
      for (const auto& member : who.team)
        if (is_uuid(member)) s.team_.push_back(lower_ascii(member));
    return s;
  }

  // The host acting on its own (workflows, sagas, schedules); both spellings.
  bool is_system() const { return role_ == "system" || role_ == "SYSTEM"; }
  bool is_admin() const { return role_ == "ADMIN"; }
  bool is_manager() const { return role_ == "MANAGER"; }
  bool sees_all() const { return is_admin() || is_system(); }
  const std::string& role() const { return role_; }
  // The caller's user id, lower case; empty for the host itself.
  const std::string& user_id() const { return user_id_; }
  // A MANAGER's team; empty for anyone else.
  const std::vector<std::string>& team() const { return team_; }

  // May the caller see (and change) a record owned by `owner`?
  bool may_see(std::string_view owner) const {
    if (sees_all()) return true;
    if (!user_id_.empty() && owner == user_id_) return true;
    for (const auto& member : team_)
      if (member == owner) return true;
    return false;
  }

  // The owners whose records the caller sees, as a PostgreSQL uuid[] literal
  // for `owner_id = any ($n::uuid[])`; nullopt when it sees everything.
  std::optional<std::string> owners_array() const {
    if (sees_all()) return std::nullopt;
    std::vector<std::string> ids;
    if (!user_id_.empty()) ids.push_back(user_id_);
    ids.insert(ids.end(), team_.begin(), team_.end());
    return uuid_array(ids);
  }

  // The caller as a user, for "records I am asked to act on"; nullopt for the host.
  std::optional<std::string> viewer() const {
    if (is_system() || user_id_.empty()) return std::nullopt;
    return user_id_;
  }

  // The user a new or handed-over record goes to: `requested`, or the caller
  // when nothing was requested. Another user is for a MANAGER (within its
  // team), an ADMIN or the host; anyone else gets a 403. The host has no user
  // of its own, so it must name one (422 on `field`).
  std::string holder_for(const std::optional<std::string>& requested, const std::string& field) const {
    if (!requested) {
      if (is_system() || user_id_.empty()) throw invalid(field, "is required when no user is calling");
      return user_id_;
    }
    if (!may_see(*requested)) throw forbidden("you may not give a record to another user outside your team");
    return *requested;
  }

private:
  std::string role_;
  std::string user_id_;
  std::vector<std::string> team_;
};

} // namespace crm
