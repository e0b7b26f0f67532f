// ActivityProjection: meetings and tasks from the sales plugin's events.
//   meeting.created: the meeting (owner, scheduledAt)
//   task.created, task.completed, task.due_soon: the task as it was then
// A task's completion never goes away once seen; assignee, dueAt and
// customer come from the event with the later envelope time (task.due_soon
// carries a dueAt moved by a PATCH, which emits nothing). Future meetings and
// open tasks of a customer the deletion saga dropped are not brought back.
//
// Not seen, because sales emits no event for them: meetings and tasks
// changed by PATCH, deleted, or moved by the reassignment saga.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

const std::string kMeetingCreated = std::string("with event as (") + kEventCte + R"sql()
  insert into meetings (id, customer_id, owner_id, scheduled_at, created_at)
  select (d ->> 'id')::uuid, (d ->> 'customerId')::uuid, (d ->> 'ownerId')::uuid,
         (d ->> 'scheduledAt')::timestamptz, (d ->> 'createdAt')::timestamptz
  from event
  where not exists (select 1 from dropped_customers x
                    where x.id = (event.d ->> 'customerId')::uuid
                      and (event.d ->> 'scheduledAt')::timestamptz > x.dropped_at)
  on conflict (id) do nothing)sql";

const std::string kTaskState = std::string("with event as (") + kEventCte + R"sql()
  insert into tasks as t (id, customer_id, assignee_id, due_at, completed_at, created_at, state_at)
  select (d ->> 'id')::uuid, (d ->> 'customerId')::uuid, (d ->> 'assigneeId')::uuid, (d ->> 'dueAt')::timestamptz,
         (d ->> 'completedAt')::timestamptz, (d ->> 'createdAt')::timestamptz, at
  from event
  where not exists (select 1 from dropped_customers x
                    where x.id = (event.d ->> 'customerId')::uuid and event.d ->> 'completedAt' is null)
  on conflict (id) do update set
    completed_at = coalesce(t.completed_at, excluded.completed_at),
    created_at = coalesce(t.created_at, excluded.created_at),
    customer_id = case when excluded.state_at > t.state_at then excluded.customer_id else t.customer_id end,
    assignee_id = case when excluded.state_at > t.state_at then excluded.assignee_id else t.assignee_id end,
    due_at = case when excluded.state_at > t.state_at then excluded.due_at else t.due_at end,
    state_at = greatest(t.state_at, excluded.state_at)
  where (t.completed_at is null and excluded.completed_at is not null)
     or (t.created_at is null and excluded.created_at is not null)
     or excluded.state_at > t.state_at)sql";

} // namespace

void project_meeting_created(crm::Call& call) { project_once(call, kMeetingCreated); }
void project_task_created(crm::Call& call) { project_once(call, kTaskState); }
void project_task_completed(crm::Call& call) { project_once(call, kTaskState); }
void project_task_due_soon(crm::Call& call) { project_once(call, kTaskState); }

} // namespace analytics
