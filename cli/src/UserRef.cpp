// UserRef: see the header.
#include "UserRef.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <Poco/String.h>

#include <cctype>

namespace crmctl {

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string resolve_user(ApiClient& api, const std::string& ref, const std::string& what) {
  if (is_uuid(ref)) return ref;
  if (ref.find('@') == std::string::npos)
    throw UsageError(what + ": expected a user id (UUID) or an email, got \"" + ref + "\"");
  // q matches email and name by substring: several users may come back.
  auto items = api.all_items("/api/auth/users" + Query().add("q", ref).add("limit", "200").str());
  for (size_t i = 0; i < items->size(); ++i) {
    auto user = items->getObject(static_cast<unsigned>(i));
    if (user && Poco::icompare(json::text(user, "email"), ref) == 0) return json::text(user, "id");
  }
  throw NotFoundError("no user with email " + ref + (what.empty() ? "" : " (" + what + ")"));
}

} // namespace crmctl
