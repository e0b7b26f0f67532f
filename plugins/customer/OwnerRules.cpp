// OwnerRules: see the header.
#include "OwnerRules.hpp"

#include "JsonScan.hpp"

namespace customer {

void require_assignable_owner(crm::Call& call, const Scope& scope, const std::string& owner_id,
                              const std::string& field) {
  if (owner_id == scope.user_id()) return;
  if (!scope.sees_all() && !(scope.is_manager() && scope.may_see(owner_id)))
    throw crm::forbidden(scope.is_manager() ? "a MANAGER may only give customers to its team"
                                            : "you may only own customers yourself");

  const std::string input = crm::JsonObject().field("id", owner_id).str();
  const char* reply = nullptr;
  size_t len = 0;
  const crm_status st =
      crm::detail::host->invoke(call.raw(), "auth.users_get", input.data(), input.size(), &reply, &len);
  if (st == CRM_E_NOT_FOUND) throw crm::invalid(field, "must be an existing user");
  if (st != CRM_OK) throw crm::Error(st == CRM_E_UNAVAILABLE ? st : CRM_E_INTERNAL, "cannot look up the new owner");
  const auto active = json::member(std::string_view(reply, len), "active");
  if (!active || *active != "true") throw crm::invalid(field, "must be an active user");
}

} // namespace customer
