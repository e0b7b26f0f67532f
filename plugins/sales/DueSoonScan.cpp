// DueSoonScan: sales.scan_due_tasks, run every minute by the host's schedule
// (and on demand by an ADMIN, POST /api/tasks/scan-due). Every OPEN task due
// within the configured window (plugin.sales.due_soon_window) raises
// task.due_soon exactly once, however many hosts scan and however often.
//
// Why exactly once: a task is claimed and marked by one UPDATE (status OPEN,
// not yet alerted -> due_soon_alerted_at = now()), and its event is emitted in
// the same transaction, so the mark and the event commit together or not at
// all. Two scans at once never claim the same row: SKIP LOCKED leaves a row
// being claimed to the scan that has it, and the outer WHERE re-checks the
// mark on the row as committed. A PATCH that moves dueAt clears the mark, so
// the task is announced again when it (re-)enters the window.
#include "Handlers.hpp"

#include "Settings.hpp"

#include <string>
#include <utility>
#include <vector>

namespace sales {

namespace {

// Rows claimed per statement: bounds one statement's locks and reply.
constexpr size_t kBatch = 1000;

} // namespace

// -> {"alerted": n, "tasks": [ids]}
void scan_due_tasks(crm::Call& call) {
  const std::int64_t window_seconds = settings().due_soon_window_seconds;
  std::string ids = "[";
  size_t alerted = 0;
  for (;;) {
    auto rows = call.sql(R"sql(
      update tasks t set due_soon_alerted_at = now()
      where t.status = 'OPEN' and t.due_soon_alerted_at is null and t.deleted_at is null
        and t.id in (
          select id from tasks
          where status = 'OPEN' and due_soon_alerted_at is null and deleted_at is null
            and due_at <= now() + $1::bigint * interval '1 second'
          order by due_at, id
          limit $2::int
          for update skip locked)
      returning t.id, json_build_object(
        'id', t.id, 'assigneeId', t.assignee_id, 'title', t.title,
        'dueAt', api_time(t.due_at), 'customerId', t.customer_id, 'version', t.version))sql",
                         {window_seconds, static_cast<std::int64_t>(kBatch)});
    // Copied out: each emit is a statement of its own.
    std::vector<std::pair<std::string, std::string>> claimed;
    for (size_t i = 0; i < rows.size(); ++i) claimed.emplace_back(*rows.at(i, 0), *rows.at(i, 1));
    for (const auto& [id, data] : claimed) {
      call.emit("task.due_soon", id, data);
      if (alerted++) ids.push_back(',');
      crm::append_json_string(ids, id);
    }
    if (claimed.size() < kBatch) break;
  }
  ids.push_back(']');
  call.reply(crm::JsonObject().field("alerted", static_cast<std::int64_t>(alerted)).raw("tasks", ids).str());
}

} // namespace sales
