// RecordScope: see the header.
#include "RecordScope.hpp"

#include "InputRules.hpp"

namespace sales {

std::optional<std::string> RecordScope::visible_users() const {
  if (who_.is("ADMIN") || who_.is("system")) return std::nullopt;
  std::vector<std::string> ids{who_.id};
  if (who_.is("MANAGER")) ids.insert(ids.end(), who_.team.begin(), who_.team.end());
  return uuid_array(ids);
}

std::string RecordScope::holder_for(const std::optional<std::string>& requested, const std::string& field) const {
  if (!requested) {
    if (is_system() || !is_uuid(who_.id)) throw crm::invalid(field, "is required when no user is calling");
    return who_.id;
  }
  if (!sees(*requested)) throw crm::forbidden("you may not give a record to another user outside your team");
  return *requested;
}

} // namespace sales
