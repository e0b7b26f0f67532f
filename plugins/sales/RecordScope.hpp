// RecordScope: the record rules of meetings and tasks, from the caller's
// principal. A record belongs to one user (a meeting's owner, a task's
// assignee). SALES sees and changes its own records, a MANAGER its own and its
// team's (the principal's "team": every user below it), ADMIN and the host
// itself ("system": workflows, schedules) everyone's. Records a caller may not
// see answer 404, exactly like records that do not exist.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sales {

class RecordScope {
public:
  explicit RecordScope(crm::Principal who) : who_(std::move(who)) {}
  static RecordScope of(const crm::Call& call) { return RecordScope(call.principal()); }

  // The users whose records the caller sees, as a PostgreSQL uuid[] literal
  // for `owner = any ($n::uuid[])`; nullopt means everyone's (no filter).
  std::optional<std::string> visible_users() const;

  bool sees(std::string_view user) const { return who_.may_see_user(user); }
  bool is_system() const { return who_.is("system"); }
  const crm::Principal& principal() const { return who_; }

  // The user a new or re-assigned record goes to: `requested`, or the caller
  // when nothing was requested. Giving it to someone else is for a MANAGER
  // (within its team), an ADMIN or the system; anyone else gets a 403. The
  // system has no user of its own, so it must name one (422 on `field`).
  std::string holder_for(const std::optional<std::string>& requested, const std::string& field) const;

private:
  crm::Principal who_;
};

} // namespace sales
