// SalesPlugin: the sales plugin as the host sees it: its operations with
// roles, routes and input schemas, the due-soon schedule, its schema
// migrations and its start-up. The handlers live in the *Handlers.cpp,
// ActivityStats.cpp, DueSoonScan.cpp and ActivityTransfers.cpp files.
//
// Every route is open to any signed-in user ("*"); what each caller may see
// and change is decided per record (crm::OwnerScope). The schemas refuse fields
// they do not list, so a typo is a 422 rather than a silently ignored change.
#include "Handlers.hpp"
#include "Migrations.hpp"
#include "Settings.hpp"

#include <crm/plugin.hpp>

#include <stdexcept>
#include <string>

namespace {

constexpr const char* kCreateMeetingSchema = R"({"type":"object","additionalProperties":false,
  "required":["customerId","title","scheduledAt"],"properties":{
  "customerId":{"type":"string","format":"uuid"},
  "title":{"type":"string","minLength":1,"maxLength":200},
  "scheduledAt":{"type":"string","format":"date-time"},
  "durationMinutes":{"type":"integer","minimum":1,"maximum":1440},
  "location":{"type":["string","null"],"maxLength":200},
  "notes":{"type":["string","null"],"maxLength":5000},
  "ownerId":{"type":"string","format":"uuid"}}})";

// "id" is the path parameter.
constexpr const char* kPatchMeetingSchema = R"({"type":"object","additionalProperties":false,
  "required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "customerId":{"type":"string","format":"uuid"},
  "title":{"type":"string","minLength":1,"maxLength":200},
  "scheduledAt":{"type":"string","format":"date-time"},
  "durationMinutes":{"type":"integer","minimum":1,"maximum":1440},
  "location":{"type":["string","null"],"maxLength":200},
  "notes":{"type":["string","null"],"maxLength":5000},
  "ownerId":{"type":"string","format":"uuid"}}})";

constexpr const char* kCreateTaskSchema = R"({"type":"object","additionalProperties":false,
  "required":["title","dueAt"],"properties":{
  "title":{"type":"string","minLength":1,"maxLength":200},
  "dueAt":{"type":"string","format":"date-time"},
  "customerId":{"type":["string","null"],"format":"uuid"},
  "assigneeId":{"type":"string","format":"uuid"},
  "priority":{"type":"string","enum":["LOW","NORMAL","HIGH"]},
  "description":{"type":["string","null"],"maxLength":5000}}})";

constexpr const char* kPatchTaskSchema = R"({"type":"object","additionalProperties":false,
  "required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"},
  "title":{"type":"string","minLength":1,"maxLength":200},
  "dueAt":{"type":"string","format":"date-time"},
  "customerId":{"type":["string","null"],"format":"uuid"},
  "assigneeId":{"type":"string","format":"uuid"},
  "priority":{"type":"string","enum":["LOW","NORMAL","HIGH"]},
  "description":{"type":["string","null"],"maxLength":5000}}})";

constexpr const char* kIdSchema = R"({"type":"object","required":["id"],"properties":{
  "id":{"type":"string","format":"uuid"}}})";

constexpr const char* kNoInputSchema = R"({"type":"object","additionalProperties":false,"properties":{}})";

// Lists of ids may also be an empty object: see id_batches() in ActivityTransfers.cpp.
constexpr const char* kTransferSchema = R"({"type":"object","required":["fromUserId","toUserId"],"properties":{
  "fromUserId":{"type":"string","format":"uuid"},
  "toUserId":{"type":"string","format":"uuid"},
  "ids":{"type":["array","object"],"items":{"type":"string","format":"uuid"}},
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kTransferBackSchema = R"({"type":"object","required":["transfer"],"properties":{
  "transfer":{"type":"string","minLength":1,"maxLength":200},
  "limit":{"type":"integer","minimum":1,"maximum":10000}}})";

constexpr const char* kCountOwnedSchema = R"({"type":"object","required":["userId"],"properties":{
  "userId":{"type":"string","format":"uuid"}}})";

constexpr const char* kCustomerActivitySchema = R"({"type":"object","required":["customerId"],"properties":{
  "customerId":{"type":"string","format":"uuid"}}})";

constexpr const char* kRestoreActivitySchema = R"({"type":"object","required":["customerId","meetings","tasks"],
  "properties":{
  "customerId":{"type":"string","format":"uuid"},
  "meetings":{"type":["array","object"],"items":{"type":"string","format":"uuid"}},
  "tasks":{"type":["array","object"],"items":{"type":"string","format":"uuid"}}}})";

using crm::handler;

const crm_operation_def operations[] = {
    // Meetings.
    crm::read_operation("sales.meetings_list", "*", "/api/meetings", handler<sales::list_meetings>,
                        "List meetings in the caller's scope (?customerId=&ownerId=&from=&to=)"),
    crm::operation("sales.meetings_create", "*", "POST", "/api/meetings", handler<sales::create_meeting>, 201,
                   kCreateMeetingSchema, "Plan a meeting with a customer the caller can see"),
    crm::read_operation("sales.meetings_stats", "*", "/api/meetings/stats", handler<sales::meeting_stats>,
                        "Meeting counts in the caller's scope"),
    crm::read_operation("sales.meetings_get", "*", "/api/meetings/{id}", handler<sales::get_meeting>,
                        "One meeting (owner, its manager chain, ADMIN)"),
    crm::operation("sales.meetings_patch", "*", "PATCH", "/api/meetings/{id}", handler<sales::patch_meeting>, 0,
                   kPatchMeetingSchema, "Change a meeting"),
    crm::operation("sales.meetings_delete", "*", "DELETE", "/api/meetings/{id}", handler<sales::delete_meeting>, 204,
                   kIdSchema, "Delete a meeting"),
    // Tasks.
    crm::read_operation("sales.tasks_list", "*", "/api/tasks", handler<sales::list_tasks>,
                        "List tasks in the caller's scope (?status=&dueBefore=&assigneeId=&customerId=)"),
    crm::operation("sales.tasks_create", "*", "POST", "/api/tasks", handler<sales::create_task>, 201, kCreateTaskSchema,
                   "Create a task (for oneself, or within one's team)"),
    crm::read_operation("sales.tasks_stats", "*", "/api/tasks/stats", handler<sales::task_stats>,
                        "Task counts by status, and overdue, in the caller's scope"),
    crm::read_operation("sales.tasks_get", "*", "/api/tasks/{id}", handler<sales::get_task>,
                        "One task (assignee, its manager chain, ADMIN)"),
    crm::operation("sales.tasks_patch", "*", "PATCH", "/api/tasks/{id}", handler<sales::patch_task>, 0,
                   kPatchTaskSchema, "Change a task"),
    crm::operation("sales.tasks_delete", "*", "DELETE", "/api/tasks/{id}", handler<sales::delete_task>, 204, kIdSchema,
                   "Delete a task"),
    crm::operation("sales.tasks_complete", "*", "POST", "/api/tasks/{id}/complete", handler<sales::complete_task>, 0,
                   kIdSchema, "Mark an OPEN task DONE (409 if it is DONE already)"),
    // The due-soon scan: the schedule's operation, and the same scan on demand.
    // The host does not audit the scheduled run (a row a minute saying the
    // system scanned); the events it emits are its record.
    crm::with_flags(
        crm::internal_operation("sales.scan_due_tasks", "system", handler<sales::scan_due_tasks>, kNoInputSchema),
        CRM_OP_NO_AUDIT),
    crm::operation("sales.tasks_scan_due", "ADMIN", "POST", "/api/tasks/scan-due", handler<sales::scan_due_tasks>, 0,
                   kNoInputSchema, "Run the due-soon scan now (it also runs every minute)"),
    // Saga steps and compensations.
    crm::internal_operation("sales.reassign_meetings", "system", handler<sales::reassign_meetings>, kTransferSchema),
    crm::internal_operation("sales.reassign_tasks", "system", handler<sales::reassign_tasks>, kTransferSchema),
    crm::internal_operation("sales.reassign_back", "system", handler<sales::reassign_back>, kTransferBackSchema),
    crm::with_flags(crm::internal_operation("sales.count_owned", "system", handler<sales::count_owned>, kCountOwnedSchema),
                    CRM_OP_READ_ONLY),
    crm::internal_operation("sales.delete_customer_activity", "system", handler<sales::delete_customer_activity>,
                            kCustomerActivitySchema),
    crm::internal_operation("sales.restore_customer_activity", "system", handler<sales::restore_customer_activity>,
                            kRestoreActivitySchema),
};

const crm_schedule_def schedules[] = {
    {"1m", "sales.scan_due_tasks"},
};

crm_status init(const char* config_json, void** state) {
  // The SDK sets its host table before calling us; it is the only way to log
  // without a call.
  const crm_host_api* host = crm::detail::host;
  try {
    sales::use_settings(sales::parse_settings(config_json ? config_json : ""));
  } catch (const std::invalid_argument& e) {
    host->log(nullptr, CRM_LOG_ERROR, e.what());
    return CRM_E_INVALID;
  }
  host->log(nullptr, CRM_LOG_INFO,
            ("due-soon window: " + std::to_string(sales::settings().due_soon_window_seconds) + " s").c_str());
  *state = nullptr;
  return CRM_OK;
}

} // namespace

// The event types this plugin emits: workflows may wait on or be started by them.
const char* const kEmits[] = {"meeting.created", "meeting.updated", "meeting.deleted", "meeting.reassigned",
                              "task.created",    "task.updated",    "task.deleted",    "task.reassigned",
                              "task.completed",  "task.due_soon"};

CRM_PLUGIN(crm::plugin("sales", "1.0.0", "Meetings, tasks and due-soon alerts")
               .operations(operations)
               .emits(kEmits)
               .schedules(schedules)
               .migrations(sales::kMigrations)
               .on_init(init))
