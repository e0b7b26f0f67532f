// Base64Url: RFC 4648 base64url without padding, for the random tokens the
// plugin hands out (they travel in JSON and URLs).
#pragma once

#include <string>
#include <string_view>

namespace auth {

std::string base64url_encode(std::string_view data);

} // namespace auth
