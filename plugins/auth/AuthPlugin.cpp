// AuthPlugin: the auth plugin as the host sees it: its operations with roles,
// routes and input schemas, its schema migrations, and its start-up. The
// handlers live in the *Handler(s).cpp files, one area each.
//
// Needs a host with ABI 1.1 (access tokens, audit, counters, principal
// provider); on an older host the operations that need them answer 503.
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "Passwords.hpp"
#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <thread>

namespace {

constexpr const char* kLoginSchema = R"({"type":"object","required":["email","password"],"properties":{
  "email":{"type":"string","minLength":1,"maxLength":254},
  "password":{"type":"string","minLength":1,"maxLength":1024}}})";

constexpr const char* kRefreshSchema = R"({"type":"object","required":["refreshToken"],"properties":{
  "refreshToken":{"type":"string","minLength":1,"maxLength":200}}})";

constexpr const char* kLogoutSchema = R"({"type":"object","properties":{
  "refreshToken":{"type":"string","maxLength":200}}})";

// The password policy is checked by the handler, after the caller's right to
// register: an anonymous caller learns nothing from a 422 about it.
constexpr const char* kRegisterSchema = R"({"type":"object","required":["email","password","name"],"properties":{
  "email":{"type":"string","format":"email","maxLength":254},
  "password":{"type":"string","maxLength":1024},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "role":{"type":"string","enum":["ADMIN","MANAGER","SALES"]},
  "managerId":{"type":["string","null"],"format":"uuid"}}})";

// "id" is the path parameter; anything not listed is refused with 422.
constexpr const char* kPatchSchema = R"({"type":"object","additionalProperties":false,"required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "name":{"type":"string","minLength":1,"maxLength":200},
  "role":{"type":"string","enum":["ADMIN","MANAGER","SALES"]},
  "managerId":{"type":["string","null"],"format":"uuid"},
  "active":{"type":"boolean"},
  "password":{"type":"string","maxLength":1024}}})";

constexpr const char* kDeleteSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "reassignTo":{"type":"string"}}})";

constexpr const char* kUserIdSchema = R"({"type":"object","required":["userId"],"properties":{
  "userId":{"type":"string","format":"uuid"}}})";

using crm::handler;

const crm_operation_def operations[] = {
    crm::in_rate_class(crm::operation("auth.login", "public", "POST", "/api/auth/login", handler<auth::login>, 0,
                                      kLoginSchema, "Sign in with email and password", CRM_OP_NO_AUDIT),
                       "auth"),
    crm::in_rate_class(crm::operation("auth.refresh", "public", "POST", "/api/auth/refresh", handler<auth::refresh>, 0,
                                      kRefreshSchema, "Trade a refresh token for a new pair", CRM_OP_NO_AUDIT),
                       "auth"),
    crm::operation("auth.logout", "*", "POST", "/api/auth/logout", handler<auth::logout>, 204, kLogoutSchema,
                   "Sign out: revoke the refresh token and the access token"),
    crm::read_operation("auth.me", "*", "/api/auth/me", handler<auth::me>, "The caller's user"),
    crm::operation("auth.register", "public", "POST", "/api/auth/register", handler<auth::register_user>, 201,
                   kRegisterSchema, "Create a user (ADMIN, or anyone as SALES when self-registration is on)"),
    crm::read_operation("auth.users_list", "ADMIN,MANAGER", "/api/auth/users", handler<auth::list_users>,
                        "List users (a MANAGER sees its team)"),
    crm::read_operation("auth.users_get", "*", "/api/auth/users/{id}", handler<auth::get_user>,
                        "One user (ADMIN: any, MANAGER: itself and its team, SALES: itself)"),
    crm::operation("auth.users_patch", "ADMIN", "PATCH", "/api/auth/users/{id}", handler<auth::patch_user>, 0,
                   kPatchSchema, "Change a user's name, role, manager, activity or password"),
    crm::operation("auth.users_delete", "ADMIN", "DELETE", "/api/auth/users/{id}", handler<auth::delete_user>, 202,
                   kDeleteSchema, "Deactivate a user and hand its records over"),
    crm::internal_operation("auth.revoke_tokens", "system", handler<auth::revoke_tokens>, kUserIdSchema),
    crm::read_operation("auth.audit_logs", "ADMIN", "/api/auth/audit-logs", handler<auth::audit_logs>,
                        "Read the audit log"),
    crm::with_flags(crm::internal_operation("auth.principal", "system", handler<auth::principal>),
                    CRM_OP_PRINCIPAL | CRM_OP_READ_ONLY),
    crm::with_flags(crm::internal_operation("auth.bootstrap", "system", handler<auth::bootstrap>), CRM_OP_ON_START),
};

// The dummy hash (an argon2id hash, 50 ms on an idle core and several times
// that on a busy one) is made beside the host's start rather than in it, and
// rather than in the first login for an unknown email; joined at shutdown,
// before the library can be unloaded.
struct Background {
  std::thread thread;
  void join() {
    if (thread.joinable()) thread.join();
  }
  ~Background() { join(); }
} dummy_hash_maker;

crm_status init(const char* config_json, void** state) {
  auth::use_settings(auth::parse_settings(config_json ? config_json : ""));
  dummy_hash_maker.join();
  dummy_hash_maker.thread = std::thread([] { auth::dummy_password_hash(); });
  // The SDK sets its host table before calling us; it is the only way to log
  // without a call.
  // Tokens, the audit log and principal data are named services (ABI 1.4);
  // a host from 1.1 to 1.3 has them in its core table instead.
  const crm_host_api* host = crm::detail::host;
  const bool services = crm::service<crm_tokens_service>(CRM_SERVICE_TOKENS, CRM_SERVICE_TOKENS_VERSION) &&
                        crm::service<crm_audit_service>(CRM_SERVICE_AUDIT, CRM_SERVICE_AUDIT_VERSION) &&
                        crm::service<crm_principals_service>(CRM_SERVICE_PRINCIPALS, CRM_SERVICE_PRINCIPALS_VERSION);
  if (!services && !CRM_HOST_HAS(host, principal_changed))
    host->log(nullptr, CRM_LOG_WARN, "the host predates ABI 1.1: logins, tokens and audit will answer 503");
  *state = nullptr;
  return CRM_OK;
}

void shutdown(void*) { dummy_hash_maker.join(); }

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"user.created", "user.updated", "user.deleted", "user.login"};

CRM_PLUGIN(crm::plugin("auth", "1.0.0", "Users, passwords, sessions and the principal provider")
               .operations(operations)
               .emits(kEmits)
               .migrations(auth::kMigrations)
               .on_init(init)
               .on_shutdown(shutdown))
