// Scope: the record rules of the customer context. Which customers a caller
// may see and change, read from its principal: a SALES user its own, a
// MANAGER its own and its team's (the principal's "team": every user below
// it, transitively, filled in by the host's principal provider), an ADMIN and
// the host itself (events, workflows) all of them. A customer outside the
// scope is answered 404, as if it did not exist.
//
// The principal is read in place (JsonScan): a Scope borrows the call's
// principal text and must not outlive the handler.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace customer {

class Scope {
public:
  static Scope of(crm::Call& call);
  // From a principal's JSON text, borrowed like the call's.
  static Scope of_principal(std::string_view principal_json);

  // The caller's user id; empty for the host itself.
  std::string_view user_id() const { return user_id_; }
  bool sees_all() const { return all_; }
  bool is_manager() const { return manager_; }
  // May the caller see (and change) a customer owned by `owner_id`?
  bool may_see(std::string_view owner_id) const;

  // The owners whose customers the caller sees, as a PostgreSQL uuid[]
  // literal ('{me,team...}'); nullopt when it sees every customer.
  std::optional<std::string> owners_array() const;

private:
  std::string_view user_id_;
  std::string_view team_; // the raw JSON array, for a MANAGER
  bool all_ = false;
  bool manager_ = false;
};

} // namespace customer
