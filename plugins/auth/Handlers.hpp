// Handlers: every operation of the auth plugin, one function each, declared
// for the operation table in AuthPlugin.cpp. Each throws crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace auth {

// LoginHandler.cpp
void login(crm::Call& call);

// SessionHandlers.cpp
void refresh(crm::Call& call);
void logout(crm::Call& call);
void me(crm::Call& call);

// RegisterHandler.cpp
void register_user(crm::Call& call);

// UserQueryHandlers.cpp
void list_users(crm::Call& call);
void get_user(crm::Call& call);

// UserAdminHandlers.cpp
void patch_user(crm::Call& call);
void delete_user(crm::Call& call);
void revoke_tokens(crm::Call& call);

// AuditLogHandler.cpp
void audit_logs(crm::Call& call);

// PrincipalHandler.cpp
void principal(crm::Call& call);

// BootstrapHandler.cpp
void bootstrap(crm::Call& call);

} // namespace auth
