// ActivityStats: GET /api/meetings/stats and /api/tasks/stats, counts over the
// records the caller may see (crm::OwnerScope), built by PostgreSQL in one query.
//   meetings: {total, upcoming, past}             (upcoming: scheduledAt > now)
//   tasks:    {total, byStatus: {OPEN, DONE}, overdue}  (overdue: OPEN, dueAt < now)
#include "Handlers.hpp"

#include <crm/sdk/owner_scope.hpp>

namespace sales {

void meeting_stats(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  auto rows = call.sql(R"sql(
    select json_build_object(
      'total', count(*),
      'upcoming', count(*) filter (where scheduled_at > now()),
      'past', count(*) filter (where scheduled_at <= now()))
    from meetings
    where deleted_at is null and ($1::uuid[] is null or owner_id = any ($1::uuid[])))sql",
                       {scope.owners_array()});
  call.reply(*rows.at(0, 0));
}

void task_stats(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  auto rows = call.sql(R"sql(
    select json_build_object(
      'total', count(*),
      'byStatus', json_build_object(
        'OPEN', count(*) filter (where status = 'OPEN'),
        'DONE', count(*) filter (where status = 'DONE')),
      'overdue', count(*) filter (where status = 'OPEN' and due_at < now()))
    from tasks
    where deleted_at is null and ($1::uuid[] is null or assignee_id = any ($1::uuid[])))sql",
                       {scope.owners_array()});
  call.reply(*rows.at(0, 0));
}

} // namespace sales
