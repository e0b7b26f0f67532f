// ReportScope: whose figures a report shows. An ADMIN sees everyone's; a
// MANAGER its own and its team's (the principal's "team": every user below
// it, transitively). The routes admit no one else.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>

namespace analytics {

// The users in scope as a PostgreSQL uuid[] literal, nullopt for everyone.
std::optional<std::string> report_scope(const crm::Principal& who);

} // namespace analytics
