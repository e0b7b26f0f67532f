// Roles: see the header.
#include "plugins/Roles.hpp"

namespace crm::plugins {

std::optional<Roles> Roles::parse(std::string_view text, std::string* error) {
  Roles r;
  r.text_ = std::string(text);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view word = text.substr(pos, comma - pos);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (word == "public") r.bits_ |= Public;
    else if (word == "*") r.bits_ |= AnyUser;
    // "system" is the one spelling; "SYSTEM" was the principal's before ABI
    // 1.4 and an old plugin may still write it.
    else if (word == "system" || word == "SYSTEM") r.bits_ |= System;
    else if (word == "ADMIN") r.bits_ |= Admin;
    else if (word == "MANAGER") r.bits_ |= Manager;
    else if (word == "SALES") r.bits_ |= Sales;
    else {
      if (error) *error = "unknown role '" + std::string(word) + "' (use ADMIN, MANAGER, SALES, *, public or system)";
      return std::nullopt;
    }
    pos = comma + 1;
  }
  return r;
}

bool Roles::admits(const security::Principal& p) const {
  if (bits_ & Public) return true;
  if (p.system()) return true; // the host's own calls: events, workflows, schedules
  if (p.anonymous()) return false;
  if (bits_ & AnyUser) return true;
  if (p.role == "ADMIN") return bits_ & Admin;
  if (p.role == "MANAGER") return bits_ & Manager;
  if (p.role == "SALES") return bits_ & Sales;
  return false;
}

} // namespace crm::plugins
