// PeerChecks: facts this plugin does not own, asked of the plugins that do,
// through operations (never their schemas): does a customer exist and may the
// caller see it (customer.get), is a user real and active (auth.users_get).
// Each runs as the caller, so the owning plugin applies its own record rules.
//
// Call them before the handler's first SQL statement: each is its own
// transaction on another pool, and the handler's is not open yet.
#pragma once

#include <crm/plugin.hpp>

#include <string>

namespace opportunity {

// Throws crm::invalid(field) unless customer.get answers for `customer_id`;
// a customer plugin that is down or not loaded is a 503.
void require_visible_customer(crm::Call& call, const std::string& customer_id, const std::string& field);

// Throws crm::invalid(field) unless auth.users_get finds an active user.
void require_active_user(crm::Call& call, const std::string& user_id, const std::string& field);

} // namespace opportunity
