// Delegation: who a call acts for when it is not the principal's own doing.
// A workflow's operation calls run with the host's rights (the SYSTEM
// principal) but are audited as "workflow:<name>" on behalf of the user who
// started the instance, with the instance's id, so the trail leads back to a
// person.
#pragma once

#include <string>

namespace crm::plugins {

struct Delegation {
  std::string actor;        // written as the audit entry's actor: "workflow:<name>"
  std::string on_behalf_of; // the user who started the instance; empty when nobody did (a schedule)
  std::string instance_id;  // the workflow instance
};

} // namespace crm::plugins
