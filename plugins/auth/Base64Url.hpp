// Base64Url: RFC 4648 base64url without padding, for tokens and cursors that
// travel in JSON and URLs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace auth {

std::string base64url_encode(std::string_view data);
// nullopt when `text` is not base64url (padding is tolerated).
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace auth
