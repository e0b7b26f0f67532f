// Handlers: every operation of the sales plugin, one function each, declared
// for the operation table in SalesPlugin.cpp. Each throws crm::Error to fail.
#pragma once

#include <crm/plugin.hpp>

namespace sales {

// meetings.title and tasks.title: char_length 1..200.
inline constexpr size_t kMaxTitle = 200;

// MeetingHandlers.cpp: /api/meetings
void list_meetings(crm::Call& call);
void create_meeting(crm::Call& call);
void get_meeting(crm::Call& call);
void patch_meeting(crm::Call& call);
void delete_meeting(crm::Call& call);

// TaskHandlers.cpp: /api/tasks
void list_tasks(crm::Call& call);
void create_task(crm::Call& call);
void get_task(crm::Call& call);
void patch_task(crm::Call& call);
void delete_task(crm::Call& call);
void complete_task(crm::Call& call);

// ActivityStats.cpp: /api/meetings/stats, /api/tasks/stats
void meeting_stats(crm::Call& call);
void task_stats(crm::Call& call);

// DueSoonScan.cpp: the schedule's operation and its ADMIN route
void scan_due_tasks(crm::Call& call);

// ActivityTransfers.cpp: the saga steps and their compensations (system only)
void reassign_meetings(crm::Call& call);
void reassign_tasks(crm::Call& call);
void reassign_back(crm::Call& call);
void count_owned(crm::Call& call);
void delete_customer_activity(crm::Call& call);
void restore_customer_activity(crm::Call& call);

} // namespace sales
