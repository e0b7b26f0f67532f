// EmailPlugin: the email plugin as the host sees it. It sends the platform's
// notifications (analytics' notification.created) by e-mail, per each user's
// preferences (GET/PUT /api/notifications/preferences: NONE, INSTANT or
// DAILY_DIGEST, muted kinds), through the SMTP server of plugin.email.smtp_*,
// each e-mail exactly once, with retries and dead letters
// (GET /api/email/deliveries, ADMIN). See docs/markets.md, "E-mail delivery".
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "SmtpSender.hpp"

#include <crm/plugin.hpp>

namespace {

// The modes and the kinds' spelling of analytics (APPROVAL_ASSIGNED, PRICE_ALERT).
constexpr const char* kPreferencesSchema = R"({"type":"object","additionalProperties":false,
  "required":["email"],"properties":{
  "email":{"type":"string","enum":["NONE","INSTANT","DAILY_DIGEST"]},
  "mutedKinds":{"type":"array","maxItems":100,"items":{"type":"string","minLength":1,"maxLength":64,
    "pattern":"^[A-Za-z0-9_.-]+$"}}}})";

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","properties":{}})";

using crm::handler;

// An operation only the host runs (events, schedules), unaudited.
constexpr crm_operation_def system_operation(const char* name, crm_handler h, const char* schema = nullptr) {
  return crm::with_flags(crm::internal_operation(name, "system", h, schema), CRM_OP_NO_AUDIT);
}

const crm_operation_def operations[] = {
    crm::read_operation("email.preferences_get", "*", "/api/notifications/preferences", handler<email::get_preferences>,
                        "The caller's e-mail preferences"),
    crm::operation("email.preferences_put", "*", "PUT", "/api/notifications/preferences",
                   handler<email::put_preferences>, 0, kPreferencesSchema,
                   "Set the caller's e-mail preferences {email: NONE|INSTANT|DAILY_DIGEST, mutedKinds}"),
    crm::read_operation("email.deliveries_list", "ADMIN", "/api/email/deliveries", handler<email::list_deliveries>,
                        "E-mails queued, sent, failing or dead, newest first (?status=&limit=)"),
    crm::operation("email.deliveries_retry", "ADMIN", "POST", "/api/email/deliveries/{id}/retry",
                   handler<email::retry_delivery>, 202, kIdSchema, "Send a DEAD e-mail again"),
    system_operation("email.on_notification_created", handler<email::on_notification_created>),
    system_operation("email.send_due", handler<email::send_due>, kNoInputSchema),
    system_operation("email.send_one", handler<email::send_one>, kIdSchema),
    system_operation("email.send_digests", handler<email::send_digests>, kNoInputSchema),
};

const crm_subscription_def subscriptions[] = {
    {"notification.created", "email.on_notification_created"},
};

const crm_schedule_def schedules[] = {
    {"1s", "email.send_due"},
    {"5m", "email.send_digests"},
};

crm_status init(const char* config_json, void** state) {
  *state = nullptr;
  try {
    email::use_settings(email::parse_settings(config_json ? config_json : ""));
    email::prepare_tls(email::settings());
  } catch (const std::exception& e) {
    crm::detail::host->log(nullptr, CRM_LOG_ERROR, (std::string("bad configuration: ") + e.what()).c_str());
    return CRM_E_INVALID;
  }
  crm::detail::host->log(nullptr, CRM_LOG_INFO, ("e-mail: " + email::settings().describe()).c_str());
  return CRM_OK;
}

} // namespace

CRM_PLUGIN(crm::plugin("email", "1.0.0", "E-mail delivery of notifications, per user preferences")
               .operations(operations)
               .subscriptions(subscriptions)
               .schedules(schedules)
               .migrations(email::kMigrations)
               .on_init(init))
