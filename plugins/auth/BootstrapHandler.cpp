// BootstrapHandler: the first admin (CRM_OP_ON_START). Every host runs it once
// at start with this plugin's configuration, whose {"admin": {"email",
// "password"}} comes from plugin.auth.admin.* (or the older admin.* keys);
// it creates that ADMIN when no active ADMIN exists, and does nothing
// otherwise. Hosts starting together serialise on an advisory lock, so only
// one of them creates it.
#include "Handlers.hpp"

#include "UserCreation.hpp"

#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Object.h>

namespace auth {

namespace {

// Any constant of our own; pg_advisory_xact_lock releases it at commit.
constexpr const char* kBootstrapLockKey = "auth.bootstrap";

} // namespace

void bootstrap(crm::Call& call) {
  const auto& in = call.input();
  std::string email, password;
  if (in.has("admin")) {
    const auto admin = in.object().getObject("admin");
    if (admin) {
      email = crm::lower_ascii(admin->optValue<std::string>("email", ""));
      password = admin->optValue<std::string>("password", "");
    }
  }

  call.sql("select pg_advisory_xact_lock(hashtext($1))", {kBootstrapLockKey});
  if (!call.sql("select 1 from users where role = 'ADMIN' and active limit 1").empty()) {
    call.reply(R"({"created":false})");
    return;
  }
  if (email.empty() || password.empty()) {
    call.log(CRM_LOG_WARN, "no active ADMIN exists and plugin.auth.admin.email/password are not both set: nobody can "
                           "administer users until an ADMIN is created");
    call.reply(R"({"created":false})");
    return;
  }
  try {
    create_user(call, NewUser{email, "Administrator", "ADMIN", std::nullopt, password});
  } catch (const crm::Error& e) {
    std::string why = e.what();
    for (const auto& [field, message] : e.fields()) why += "; " + field + " " + message;
    call.log(CRM_LOG_ERROR, "cannot create the first ADMIN " + email + ": " + why);
    throw;
  }
  call.log(CRM_LOG_INFO, "created the first ADMIN " + email);
  call.reply(R"({"created":true})");
}

} // namespace auth
