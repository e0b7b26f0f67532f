// UserRef: a user named on the command line, by id or by email. Wherever
// crmctl asks for a user id it takes an email too, and looks it up with
// GET /api/auth/users?q=<email> (exact, case-insensitive match).
#pragma once

#include "ApiClient.hpp"

#include <string>

namespace crmctl {

// True for the 8-4-4-4-12 hex form.
bool is_uuid(const std::string& text);

// The id of the user `ref` names. A UUID is taken as it is (the server says
// whether it exists); an email is looked up: NotFoundError when nobody has it.
// Anything else is a UsageError naming `what` ("--reassign-to").
std::string resolve_user(ApiClient& api, const std::string& ref, const std::string& what);

} // namespace crmctl
