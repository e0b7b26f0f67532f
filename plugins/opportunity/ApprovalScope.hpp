// ApprovalScope: who sees which approvals, from the caller's principal.
//
// A caller sees the approvals it requested, those it is or was asked to
// decide (the approver chain, from the history), and, for a MANAGER, those
// its team requested (the principal's "team": every user below it). ADMIN and
// the platform ("system": workflows, sagas) see all. An approval a caller may
// not see answers 404, exactly like one that does not exist.
//
// The rule itself is the SQL function visible_to(a, requesters, viewer)
// (Migrations.hpp); this class supplies its two arguments.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace opportunity {

class ApprovalScope {
public:
  explicit ApprovalScope(crm::Principal who) : who_(std::move(who)) {}
  static ApprovalScope of(const crm::Call& call) { return ApprovalScope(call.principal()); }

  // visible_to's `requesters`: a PostgreSQL uuid[] literal of the users whose
  // requests the caller sees; nullopt means everyone's (no filter).
  std::optional<std::string> requesters() const;
  // visible_to's `viewer`: the caller's user id; nullopt for the platform.
  std::optional<std::string> viewer() const;

  bool is_admin() const { return who_.is("ADMIN"); }
  bool is_system() const { return who_.is("system"); }
  // The caller's user id: empty for the platform.
  std::string user_id() const { return viewer().value_or(""); }

private:
  crm::Principal who_;
};

} // namespace opportunity
