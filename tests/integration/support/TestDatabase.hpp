// TestDatabase: a fresh PostgreSQL database per test, created as the crm user
// in the cluster of CRM_DB_DSN (from scripts/services) and dropped WITH (FORCE)
// at the end, so tests never see each other's schemas, rows or migrations.
// Roles are cluster-wide and outlive it: crm_plugin_<name> roles are reused by
// later tests, which is exactly what a host must cope with.
#pragma once

#include "support/Environment.hpp"
#include "support/Sql.hpp"

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

namespace itest {

class TestDatabase {
public:
  TestDatabase()
      : base_dsn_(env_or("CRM_DB_DSN")), password_(env_or("CRM_DB_PASSWORD")),
        name_("crm_it_" + random_hex(12)) {
    require_services();
    Sql admin(admin_conninfo());
    admin.exec("create database " + name_);
    dsn_ = conninfo_with(base_dsn_, {{"dbname", name_}});
  }
  ~TestDatabase() {
    // FORCE cannot end an autovacuum worker's session (it belongs to the
    // superuser): such a drop fails, and a moment later succeeds.
    for (int attempt = 1;; ++attempt) {
      try {
        Sql admin(admin_conninfo());
        admin.exec("drop database if exists " + name_ + " with (force)");
        return;
      } catch (const std::exception& e) {
        if (attempt == 5) {
          std::cerr << "TestDatabase: could not drop " << name_ << ": " << e.what() << '\n';
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
      }
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // The DSN the host gets (CRM_DB_DSN), without the password.
  const std::string& dsn() const { return dsn_; }
  const std::string& password() const { return password_; }
  // A new connection to this database as the crm user.
  Sql connect() const { return Sql(with_password(dsn_)); }

private:
  std::string admin_conninfo() const { return with_password(base_dsn_); }
  std::string with_password(const std::string& dsn) const {
    return password_.empty() ? dsn : conninfo_with(dsn, {{"password", password_}});
  }

  std::string base_dsn_;
  std::string password_;
  std::string name_;
  std::string dsn_;
};

} // namespace itest
