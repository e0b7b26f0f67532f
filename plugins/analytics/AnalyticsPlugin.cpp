// AnalyticsPlugin: the analytics plugin as the host sees it: its operations
// with roles, routes and input schemas, its subscriptions and its schema.
//
// Two kinds of subscriptions, each event type with its own operation (each
// subscription is a durable consumer named after its operation):
//  - notify_*: tell a user about an event, once per event and user. Never
//    replayed: a rebuild must not notify anyone again.
//  - project_*: keep the read-models the reports read. Flagged
//    CRM_OP_REPLAYABLE: a rebuild (POST /api/plugins/analytics/rebuild)
//    calls reset_read_models (CRM_OP_REPLAY_RESET) and then feeds them the
//    stream again, without the inbox; they are idempotent per event id
//    themselves (AppliedEvents).
// Both kinds run as the system and are not audited one by one: the events
// are their record.
#include "Handlers.hpp"
#include "Migrations.hpp"

#include <crm/plugin.hpp>

namespace {

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","properties":{}})";

constexpr const char* kCustomerSchema = R"({"type":"object","required":["customerId"],"properties":{
  "customerId":{"type":"string","format":"uuid"}}})";

// A list of ids may also be an empty object: a Lua workflow cannot tell {} from [].
constexpr const char* kIdsSchema = R"({"type":"object","required":["ids"],"properties":{
  "ids":{"type":["array","object"],"items":{"type":"string","format":"uuid"}}}})";

constexpr const char* kNotifySchema = R"({"type":"object","required":["key","notifications"],"properties":{
  "key":{"type":"string","format":"uuid"},
  "notifications":{"type":"array","maxItems":100,"items":{"type":"object","required":["userId","kind","title"],
    "properties":{"userId":{"type":"string","format":"uuid"},"kind":{"type":"string","minLength":1,"maxLength":64},
      "title":{"type":"string","minLength":1,"maxLength":200},"body":{"type":"string","maxLength":2000},
      "resourceType":{"type":"string","maxLength":64},"resourceId":{"type":"string","maxLength":36}}}}}})";

using crm::handler;

// An event's operation: system only, unaudited.
constexpr crm_operation_def on_event(const char* name, crm_handler h) {
  return crm::with_flags(crm::internal_operation(name, "system", h), CRM_OP_NO_AUDIT);
}
// A read-model projection: also replayable.
constexpr crm_operation_def projection(const char* name, crm_handler h) {
  return crm::with_flags(on_event(name, h), CRM_OP_REPLAYABLE);
}

const crm_operation_def operations[] = {
    // Notifications.
    crm::read_operation("analytics.notifications_list", "*", "/api/notifications",
                        handler<analytics::list_notifications>,
                        "The caller's notifications, newest first (?unread=true&limit=&cursor=)"),
    crm::read_operation("analytics.notifications_unread", "*", "/api/notifications/unread",
                        handler<analytics::list_unread_notifications>,
                        "The caller's unread notifications, newest first (?limit=&cursor=)"),
    crm::operation("analytics.notifications_read", "*", "PATCH", "/api/notifications/{id}/read",
                   handler<analytics::mark_notification_read>, 0, kIdSchema,
                   "Mark one of the caller's notifications read"),
    crm::operation("analytics.notifications_read_all", "*", "POST", "/api/notifications/read-all",
                   handler<analytics::mark_all_notifications_read>, 0, kNoInputSchema,
                   "Mark all the caller's notifications read -> {updated}"),
    on_event("analytics.notify_approval_assigned", handler<analytics::notify_approval_assigned>),
    on_event("analytics.notify_approval_approved", handler<analytics::notify_approval_approved>),
    on_event("analytics.notify_approval_rejected", handler<analytics::notify_approval_rejected>),
    on_event("analytics.notify_task_due_soon", handler<analytics::notify_task_due_soon>),
    on_event("analytics.notify_customer_reassigned", handler<analytics::notify_customer_reassigned>),
    crm::internal_operation("analytics.notify", "system", handler<analytics::notify_users>, kNotifySchema),
    // The customer-deletion saga.
    crm::internal_operation("analytics.archive_for_customer", "system", handler<analytics::archive_for_customer>,
                            kCustomerSchema),
    crm::internal_operation("analytics.restore_archived", "system", handler<analytics::restore_archived>, kIdsSchema),
    crm::internal_operation("analytics.drop_customer", "system", handler<analytics::drop_customer>, kCustomerSchema),
    // Read-models.
    projection("analytics.project_user_created", handler<analytics::project_user_created>),
    projection("analytics.project_user_updated", handler<analytics::project_user_updated>),
    projection("analytics.project_user_deleted", handler<analytics::project_user_deleted>),
    projection("analytics.project_customer_created", handler<analytics::project_customer_created>),
    projection("analytics.project_customer_updated", handler<analytics::project_customer_updated>),
    projection("analytics.project_customer_deleted", handler<analytics::project_customer_deleted>),
    projection("analytics.project_customer_reassigned", handler<analytics::project_customer_reassigned>),
    projection("analytics.project_meeting_created", handler<analytics::project_meeting_created>),
    projection("analytics.project_meeting_updated", handler<analytics::project_meeting_changed>),
    projection("analytics.project_meeting_deleted", handler<analytics::project_meeting_changed>),
    projection("analytics.project_meeting_reassigned", handler<analytics::project_meeting_reassigned>),
    projection("analytics.project_task_created", handler<analytics::project_task_created>),
    projection("analytics.project_task_updated", handler<analytics::project_task_changed>),
    projection("analytics.project_task_deleted", handler<analytics::project_task_changed>),
    projection("analytics.project_task_reassigned", handler<analytics::project_task_reassigned>),
    projection("analytics.project_task_completed", handler<analytics::project_task_completed>),
    projection("analytics.project_task_due_soon", handler<analytics::project_task_due_soon>),
    projection("analytics.project_approval_requested", handler<analytics::project_approval>),
    projection("analytics.project_approval_assigned", handler<analytics::project_approval>),
    projection("analytics.project_approval_level_approved", handler<analytics::project_approval>),
    projection("analytics.project_approval_approved", handler<analytics::project_approval>),
    projection("analytics.project_approval_rejected", handler<analytics::project_approval>),
    projection("analytics.project_approval_cancelled", handler<analytics::project_approval>),
    crm::with_flags(crm::internal_operation("analytics.reset_read_models", "system",
                                            handler<analytics::reset_read_models>, kNoInputSchema),
                    CRM_OP_REPLAY_RESET),
    // Reports.
    crm::read_operation("analytics.reports_sales_summary", "ADMIN,MANAGER", "/api/reports/sales-summary",
                        handler<analytics::sales_summary>,
                        "Sales figures per user or month (?from=&to=&groupBy=user|month; MANAGER: its team)"),
    crm::read_operation("analytics.reports_pipeline", "ADMIN,MANAGER", "/api/reports/pipeline",
                        handler<analytics::pipeline_report>,
                        "Approvals by status: counts and amounts (MANAGER: its team's requests)"),
    crm::read_operation("analytics.dashboard", "*", "/api/dashboard", handler<analytics::dashboard>,
                        "The caller's own summary"),
};

const crm_subscription_def subscriptions[] = {
    {"approval.assigned", "analytics.notify_approval_assigned"},
    {"approval.approved", "analytics.notify_approval_approved"},
    {"approval.rejected", "analytics.notify_approval_rejected"},
    {"task.due_soon", "analytics.notify_task_due_soon"},
    {"customer.reassigned", "analytics.notify_customer_reassigned"},
    {"user.created", "analytics.project_user_created"},
    {"user.updated", "analytics.project_user_updated"},
    {"user.deleted", "analytics.project_user_deleted"},
    {"customer.created", "analytics.project_customer_created"},
    {"customer.updated", "analytics.project_customer_updated"},
    {"customer.deleted", "analytics.project_customer_deleted"},
    {"customer.reassigned", "analytics.project_customer_reassigned"},
    {"meeting.created", "analytics.project_meeting_created"},
    {"meeting.updated", "analytics.project_meeting_updated"},
    {"meeting.deleted", "analytics.project_meeting_deleted"},
    {"meeting.reassigned", "analytics.project_meeting_reassigned"},
    {"task.created", "analytics.project_task_created"},
    {"task.updated", "analytics.project_task_updated"},
    {"task.deleted", "analytics.project_task_deleted"},
    {"task.reassigned", "analytics.project_task_reassigned"},
    {"task.completed", "analytics.project_task_completed"},
    {"task.due_soon", "analytics.project_task_due_soon"},
    {"approval.requested", "analytics.project_approval_requested"},
    {"approval.assigned", "analytics.project_approval_assigned"},
    {"approval.level_approved", "analytics.project_approval_level_approved"},
    {"approval.approved", "analytics.project_approval_approved"},
    {"approval.rejected", "analytics.project_approval_rejected"},
    {"approval.cancelled", "analytics.project_approval_cancelled"},
};

} // namespace

CRM_PLUGIN(crm::plugin("analytics", "1.0.0", "Notifications, report read-models fed by events, reports")
               .operations(operations)
               .subscriptions(subscriptions)
               .migrations(analytics::kMigrations))
