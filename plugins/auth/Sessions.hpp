// Sessions: what a login and a refresh both answer: a new access token signed
// by the host, a new refresh token, and the user.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace auth {

// Issues both tokens for the user (the refresh token in `family_id`, or in a
// new family when nullopt) and returns the reply:
// {accessToken, refreshToken, expiresIn, tokenType: "Bearer", user}.
std::string open_session(crm::Call& call, const std::string& user_id, const std::string& role,
                         const std::optional<std::string>& family_id, std::string_view user_json);

} // namespace auth
