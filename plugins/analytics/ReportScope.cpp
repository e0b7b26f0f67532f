// ReportScope: see the header.
#include "ReportScope.hpp"

#include "InputRules.hpp"

#include <vector>

namespace analytics {

std::optional<std::string> report_scope(const crm::Principal& who) {
  if (who.is("ADMIN") || who.is("system")) return std::nullopt;
  std::vector<std::string> ids{lower_ascii(who.id)};
  if (who.is("MANAGER"))
    for (const auto& member : who.team) ids.push_back(lower_ascii(member));
  return uuid_array(ids);
}

} // namespace analytics
