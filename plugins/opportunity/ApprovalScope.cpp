// ApprovalScope: see the header.
#include "ApprovalScope.hpp"

#include "InputRules.hpp"

#include <vector>

namespace opportunity {

std::optional<std::string> ApprovalScope::requesters() const {
  if (who_.is("ADMIN") || who_.is("system")) return std::nullopt;
  std::vector<std::string> ids{who_.id};
  if (who_.is("MANAGER")) ids.insert(ids.end(), who_.team.begin(), who_.team.end());
  return uuid_array(ids);
}

std::optional<std::string> ApprovalScope::viewer() const {
  if (who_.is("system") || !is_uuid(who_.id)) return std::nullopt;
  return lower_ascii(who_.id);
}

} // namespace opportunity
