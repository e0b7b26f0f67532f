// Handlers: every operation of the analytics plugin, one function each,
// declared for the operation table in AnalyticsPlugin.cpp. Each throws
// crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace analytics {

// NotificationRules.cpp: subscriptions that notify (never replayed)
void notify_approval_assigned(crm::Call& call);
void notify_approval_approved(crm::Call& call);
void notify_approval_rejected(crm::Call& call);
void notify_task_due_soon(crm::Call& call);
void notify_customer_reassigned(crm::Call& call);

// WorkflowNotifications.cpp: a workflow's own notifications
void notify_users(crm::Call& call);

// NotificationHandlers.cpp: /api/notifications
void list_notifications(crm::Call& call);
void list_unread_notifications(crm::Call& call);
void mark_notification_read(crm::Call& call);
void mark_all_notifications_read(crm::Call& call);

// NotificationArchive.cpp: the customer-deletion saga's step and compensation
void archive_for_customer(crm::Call& call);
void restore_archived(crm::Call& call);

// *Projection.cpp: subscriptions that keep the read-models (replayable)
void project_user_created(crm::Call& call);
void project_user_updated(crm::Call& call);
void project_user_deleted(crm::Call& call);
void project_customer_created(crm::Call& call);
void project_customer_updated(crm::Call& call);
void project_customer_deleted(crm::Call& call);
void project_customer_reassigned(crm::Call& call);
void project_meeting_created(crm::Call& call);
void project_meeting_changed(crm::Call& call); // meeting.updated, meeting.deleted
void project_meeting_reassigned(crm::Call& call);
void project_task_created(crm::Call& call);
void project_task_changed(crm::Call& call); // task.updated, task.deleted
void project_task_completed(crm::Call& call);
void project_task_due_soon(crm::Call& call);
void project_task_reassigned(crm::Call& call);
void project_approval(crm::Call& call); // every approval.* event

// ReadModelMaintenance.cpp: the rebuild's reset, the deletion saga's drop
void reset_read_models(crm::Call& call);
void drop_customer(crm::Call& call);

// SalesSummary.cpp, PipelineReport.cpp, Dashboard.cpp: the reports
void sales_summary(crm::Call& call);
void pipeline_report(crm::Call& call);
void dashboard(crm::Call& call);

} // namespace analytics
