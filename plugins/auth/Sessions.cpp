// Sessions: see the header.
#include "Sessions.hpp"

#include "RefreshTokens.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace auth {

std::string open_session(crm::Call& call, const std::string& user_id, const std::string& role,
                         const std::optional<std::string>& family_id, std::string_view user_json) {
  const std::string refresh_token = refresh_tokens::issue(call, user_id, family_id);
  // {"accessToken", "tokenType", "expiresIn", "jti", "expiresAt"}
  Poco::JSON::Parser parser;
  auto access = parser.parse(call.issue_access_token(user_id, role)).extract<Poco::JSON::Object::Ptr>();
  return crm::JsonObject()
      .field("accessToken", std::string_view(access->getValue<std::string>("accessToken")))
      .field("refreshToken", std::string_view(refresh_token))
      .field("expiresIn", access->getValue<std::int64_t>("expiresIn"))
      .field("tokenType", "Bearer")
      .raw("user", user_json)
      .str();
}

} // namespace auth
