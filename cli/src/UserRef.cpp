// UserRef: see the header.
#include "UserRef.hpp"

#include "Errors.hpp"
#include "Json.hpp"

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
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const json::Value users = api.all_items("/api/auth/users" + Query().add("q", ref).add("limit", "200").str());
  for (const auto& user : users.items())
    if (lower(json::text(user, "email")) == lower(ref)) return json::text(user, "id");
  throw NotFoundError("no user with email " + ref + (what.empty() ? "" : " (" + what + ")"));
}

} // namespace crmctl
