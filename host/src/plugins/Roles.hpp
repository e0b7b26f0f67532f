// Roles: the set of callers an operation admits, parsed once from its
// declaration ("ADMIN,MANAGER", "*", "public", "system").
#pragma once

#include "security/Principal.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace crm::plugins {

class Roles {
public:
  enum Bits : unsigned { Public = 1, AnyUser = 2, System = 4, Admin = 8, Manager = 16, Sales = 32 };

  // nullopt (with *error) for an unknown word.
  static std::optional<Roles> parse(std::string_view text, std::string* error);

  bool is_public() const { return bits_ & Public; }
  bool is_system_only() const { return bits_ == System; }
  // Whether the principal may call; anonymous callers of a non-public
  // operation are told apart by the caller (401 rather than 403).
  bool admits(const security::Principal& p) const;
  const std::string& text() const { return text_; }

private:
  unsigned bits_ = 0;
  std::string text_;
};

} // namespace crm::plugins
