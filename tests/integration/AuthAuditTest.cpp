// The audit trail of the auth plugin, read back through GET
// /api/auth/audit-logs: one entry per successful change (written by the host),
// one FAILURE per failed login (written by the plugin, kept although the call
// fails), nothing for a change that was refused.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

using namespace itest;

namespace {

// The entries of one action.
size_t count_of(AuthHost& auth, const std::string& action, const std::string& extra = "") {
  return auth.audit_entries("limit=200&action=" + action + extra)->size();
}

Poco::JSON::Object::Ptr only_entry(AuthHost& auth, const std::string& query) {
  auto items = auth.audit_entries(query);
  INFO(query);
  REQUIRE(items->size() == 1);
  return items->getObject(0);
}

} // namespace

TEST_CASE("each successful register, patch and delete leaves exactly one audit entry by its actor",
          "[auth-plugin][audit]") {
  AuthHost auth;
  const std::string admin_id = auth.admin().id;
  REQUIRE(count_of(auth, "auth.register") == 0);

  Account user = auth.create_user_only("SALES");
  auto registered = only_entry(auth, "action=auth.register");
  CHECK(text_of(registered, "actorId") == admin_id);
  CHECK(text_of(registered, "outcome") == "SUCCESS");
  CHECK(text_of(registered, "resourceId") == user.id);

  REQUIRE(auth.call("PATCH", "/api/auth/users/" + user.id, R"({"name":"Audited"})", auth.admin().access_token).status ==
          200);
  auto patched = only_entry(auth, "action=auth.users_patch");
  CHECK(text_of(patched, "actorId") == admin_id);
  CHECK(text_of(patched, "outcome") == "SUCCESS");
  CHECK(text_of(patched, "resourceId") == user.id);

  REQUIRE(auth.call("DELETE", "/api/auth/users/" + user.id, "", auth.admin().access_token).status == 202);
  auto deleted = only_entry(auth, "action=auth.users_delete");
  CHECK(text_of(deleted, "actorId") == admin_id);
  CHECK(text_of(deleted, "outcome") == "SUCCESS");
  CHECK(text_of(deleted, "resourceId") == user.id);

  // Reads leave nothing.
  REQUIRE(auth.get("/api/auth/users/" + user.id, auth.admin().access_token).status == 200);
  CHECK(count_of(auth, "auth.users_get") == 0);
  CHECK(count_of(auth, "auth.register") == 1);
}

TEST_CASE("a failed login leaves exactly one FAILURE entry for the address", "[auth-plugin][audit]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  require_problem(auth.login(user.email, "Wrong-password-1"), 401);

  auto failure = only_entry(auth, "action=auth.login&outcome=FAILURE");
  CHECK(text_of(failure, "resourceId") == user.email);
  CHECK(text_of(failure, "outcome") == "FAILURE");
  // The admin's own sign-in at set-up is a SUCCESS, not a FAILURE.
  CHECK(count_of(auth, "auth.login", "&outcome=SUCCESS") >= 1);
}

TEST_CASE("a registration refused with 422 leaves no audit entry", "[auth-plugin][audit]") {
  AuthHost auth;
  auto r = auth.call("POST", "/api/auth/register", AuthHost::registration(unique_email("weak"), "SALES", "", "weak"),
                     auth.admin().access_token);
  require_problem(r, 422);
  auto duplicate = auth.call("POST", "/api/auth/register", AuthHost::registration(auth.admin().email, "SALES"),
                             auth.admin().access_token);
  require_problem(duplicate, 409);
  CHECK(count_of(auth, "auth.register") == 0);
}

TEST_CASE("the audit log filters by actor", "[auth-plugin][audit]") {
  AuthHost auth;
  Account user = auth.create_user_only("SALES");
  REQUIRE(
      auth.call("PATCH", "/api/auth/users/" + user.id, R"({"name":"Filtered"})", auth.admin().access_token).status ==
      200);
  CHECK(auth.audit_entries("actorId=" + auth.admin().id + "&action=auth.users_patch")->size() == 1);
  CHECK(auth.audit_entries("actorId=" + random_uuid() + "&action=auth.users_patch")->size() == 0);
}
