// OwnerRules: who may become a customer's owner when a caller creates it or
// hands it over. The caller itself, always; a MANAGER: anyone in its team; an
// ADMIN (and the host itself): anyone. Anyone else is refused with 403: the
// record rules forbid it, the input is not malformed.
//
// Another user than the caller must also exist and be active. Users belong to
// the auth context, so this plugin asks it (crm::require_active_user).
#pragma once

#include <crm/plugin.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <string>

namespace customer {

void require_assignable_owner(crm::Call& call, const crm::OwnerScope& scope, const std::string& owner_id,
                              const std::string& field);

} // namespace customer
