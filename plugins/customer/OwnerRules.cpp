// OwnerRules: see the header.
#include "OwnerRules.hpp"

#include <crm/sdk/peer_checks.hpp>

namespace customer {

void require_assignable_owner(crm::Call& call, const crm::OwnerScope& scope, const std::string& owner_id,
                              const std::string& field) {
  if (owner_id == scope.user_id()) return;
  if (!scope.may_see(owner_id))
    throw crm::forbidden(scope.is_manager() ? "a MANAGER may only give customers to its team"
                                            : "you may only own customers yourself");
  crm::require_active_user(call, owner_id, field);
}

} // namespace customer
