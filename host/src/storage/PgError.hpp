// PgError: a failed statement, with its SQLSTATE and the crm_status it maps to.
#pragma once

#include <crm/plugin_abi.h>

#include <stdexcept>
#include <string>

namespace crm::storage {

class PgError : public std::runtime_error {
public:
  PgError(std::string message, std::string sqlstate)
      : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // True when the connection itself is gone (the pool must drop it).
  bool connection_lost() const { return sqlstate_.empty() || sqlstate_.rfind("08", 0) == 0 || sqlstate_ == "57P01"; }
  crm_status status() const { return status_for_sqlstate(sqlstate_); }
  // A serialization failure or a deadlock: PostgreSQL gave up on this
  // transaction, not on what it asked; the same work run again may succeed.
  bool transient() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

  // What a plugin hears when its SQL fails.
  static crm_status status_for_sqlstate(const std::string& s) {
    if (s.empty() || s.rfind("08", 0) == 0 || s.rfind("53", 0) == 0 || s.rfind("57P", 0) == 0)
      return CRM_E_UNAVAILABLE;                                  // connection, resources, shutdown
    if (s == "23505" || s == "23503" || s == "23P01" || s == "40001" || s == "40P01")
      return CRM_E_CONFLICT;                                     // unique, FK, exclusion, serialization, deadlock
    if (s.rfind("22", 0) == 0 || s == "23502" || s == "23514") return CRM_E_INVALID; // data, not null, check
    if (s == "42501") return CRM_E_FORBIDDEN;                    // another plugin's schema
    return CRM_E_INTERNAL;                                       // syntax, undefined table: a plugin bug
  }

private:
  std::string sqlstate_;
};

} // namespace crm::storage
