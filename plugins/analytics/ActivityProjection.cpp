// ActivityProjection: meetings and tasks from the sales plugin's events.
//   meeting.created, meeting.updated, meeting.deleted: the meeting as it is
//   task.created, task.updated, task.completed, task.deleted, task.due_soon:
//     the task as it is
//   meeting.reassigned, task.reassigned: ids moved to a new owner, a batch
// Events of one row arrive on different consumers, in any order, and a
// rebuild replays them again: each row keeps the position (version, time)
// of the state and of the owner it holds, and an event changes only what it
// is newer for (ActivityVersionsSchema.hpp). A task's completion never goes
// away once seen; a deletion is a tombstone. Future meetings and open tasks
// of a customer the deletion saga dropped are not brought back.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

// The event's row: its state, and whether the event deletes it (the data
// says so since sales versions rows; the type says so in any case).
const std::string kMeetingState = std::string("with event as (") + kEventCte + R"sql(),
  incoming as (
    select (d ->> 'id')::uuid as id, (d ->> 'customerId')::uuid as customer_id, (d ->> 'ownerId')::uuid as owner_id,
           (d ->> 'scheduledAt')::timestamptz as scheduled_at, (d ->> 'createdAt')::timestamptz as created_at,
           coalesce((d ->> 'deleted')::boolean, false) or $1::jsonb ->> 'type' = 'meeting.deleted' as deleted,
           coalesce((d ->> 'version')::bigint, 0) as version, at
    from event)
  insert into meetings as m (id, customer_id, owner_id, scheduled_at, created_at, deleted, version, state_at,
                             owner_version, owner_at)
  select id, customer_id, owner_id, scheduled_at, created_at, deleted, version, at, version, at
  from incoming i
  where not exists (select 1 from dropped_customers x
                    where x.id = i.customer_id and i.scheduled_at > x.dropped_at)
  on conflict (id) do update set
    customer_id = case when (excluded.version, excluded.state_at) > (m.version, m.state_at)
                       then excluded.customer_id else m.customer_id end,
    scheduled_at = case when (excluded.version, excluded.state_at) > (m.version, m.state_at)
                        then excluded.scheduled_at else m.scheduled_at end,
    deleted = case when (excluded.version, excluded.state_at) > (m.version, m.state_at)
                   then excluded.deleted else m.deleted end,
    version = case when (excluded.version, excluded.state_at) > (m.version, m.state_at)
                   then excluded.version else m.version end,
    state_at = case when (excluded.version, excluded.state_at) > (m.version, m.state_at)
                    then excluded.state_at else m.state_at end,
    owner_id = case when (excluded.owner_version, excluded.owner_at) > (m.owner_version, m.owner_at)
                    then excluded.owner_id else m.owner_id end,
    owner_version = case when (excluded.owner_version, excluded.owner_at) > (m.owner_version, m.owner_at)
                         then excluded.owner_version else m.owner_version end,
    owner_at = case when (excluded.owner_version, excluded.owner_at) > (m.owner_version, m.owner_at)
                    then excluded.owner_at else m.owner_at end,
    created_at = coalesce(m.created_at, excluded.created_at)
  where (excluded.version, excluded.state_at) > (m.version, m.state_at)
     or (excluded.owner_version, excluded.owner_at) > (m.owner_version, m.owner_at)
     or (m.created_at is null and excluded.created_at is not null))sql";

const std::string kTaskState = std::string("with event as (") + kEventCte + R"sql(),
  incoming as (
    select (d ->> 'id')::uuid as id, (d ->> 'customerId')::uuid as customer_id,
           (d ->> 'assigneeId')::uuid as assignee_id, (d ->> 'dueAt')::timestamptz as due_at,
           (d ->> 'completedAt')::timestamptz as completed_at, (d ->> 'createdAt')::timestamptz as created_at,
           coalesce((d ->> 'deleted')::boolean, false) or $1::jsonb ->> 'type' = 'task.deleted' as deleted,
           coalesce((d ->> 'version')::bigint, 0) as version, at
    from event)
  insert into tasks as t (id, customer_id, assignee_id, due_at, completed_at, created_at, deleted, version, state_at,
                          assignee_version, assignee_at)
  select id, customer_id, assignee_id, due_at, completed_at, created_at, deleted, version, at, version, at
  from incoming i
  where not exists (select 1 from dropped_customers x where x.id = i.customer_id and i.completed_at is null)
  on conflict (id) do update set
    completed_at = coalesce(t.completed_at, excluded.completed_at),
    created_at = coalesce(t.created_at, excluded.created_at),
    customer_id = case when (excluded.version, excluded.state_at) > (t.version, t.state_at)
                       then excluded.customer_id else t.customer_id end,
    due_at = case when (excluded.version, excluded.state_at) > (t.version, t.state_at)
                  then excluded.due_at else t.due_at end,
    deleted = case when (excluded.version, excluded.state_at) > (t.version, t.state_at)
                   then excluded.deleted else t.deleted end,
    version = case when (excluded.version, excluded.state_at) > (t.version, t.state_at)
                   then excluded.version else t.version end,
    state_at = case when (excluded.version, excluded.state_at) > (t.version, t.state_at)
                    then excluded.state_at else t.state_at end,
    assignee_id = case when (excluded.assignee_version, excluded.assignee_at) > (t.assignee_version, t.assignee_at)
                       then excluded.assignee_id else t.assignee_id end,
    assignee_version = case when (excluded.assignee_version, excluded.assignee_at) > (t.assignee_version, t.assignee_at)
                            then excluded.assignee_version else t.assignee_version end,
    assignee_at = case when (excluded.assignee_version, excluded.assignee_at) > (t.assignee_version, t.assignee_at)
                       then excluded.assignee_at else t.assignee_at end
  where (t.completed_at is null and excluded.completed_at is not null)
     or (t.created_at is null and excluded.created_at is not null)
     or (excluded.version, excluded.state_at) > (t.version, t.state_at)
     or (excluded.assignee_version, excluded.assignee_at) > (t.assignee_version, t.assignee_at))sql";

// {fromUserId, toUserId, ids, versions}: each id's owner, as of its version.
// A row not seen yet is kept with its owner alone until its state comes. In
// id order, so two batches lock shared rows in one order.
const std::string kMoved = std::string("with event as (") + kEventCte + R"sql(),
  moved as (
    select a.id::uuid as id, (e.d ->> 'toUserId')::uuid as owner_id, b.version::bigint as version, e.at
    from event e
    cross join lateral jsonb_array_elements_text(e.d -> 'ids') with ordinality as a (id, n)
    join lateral jsonb_array_elements_text(e.d -> 'versions') with ordinality as b (version, n) on b.n = a.n)
  )sql";

const std::string kMeetingsMoved = kMoved + R"sql(
  insert into meetings as m (id, owner_id, owner_version, owner_at)
  select id, owner_id, version, at from moved order by id
  on conflict (id) do update set
    owner_id = excluded.owner_id, owner_version = excluded.owner_version, owner_at = excluded.owner_at
  where (excluded.owner_version, excluded.owner_at) > (m.owner_version, m.owner_at))sql";

const std::string kTasksMoved = kMoved + R"sql(
  insert into tasks as t (id, assignee_id, assignee_version, assignee_at)
  select id, owner_id, version, at from moved order by id
  on conflict (id) do update set
    assignee_id = excluded.assignee_id, assignee_version = excluded.assignee_version,
    assignee_at = excluded.assignee_at
  where (excluded.assignee_version, excluded.assignee_at) > (t.assignee_version, t.assignee_at))sql";

} // namespace

void project_meeting_created(crm::Call& call) { project_once(call, kMeetingState); }
void project_meeting_changed(crm::Call& call) { project_once(call, kMeetingState); }
void project_meeting_reassigned(crm::Call& call) { project_once(call, kMeetingsMoved); }
void project_task_created(crm::Call& call) { project_once(call, kTaskState); }
void project_task_changed(crm::Call& call) { project_once(call, kTaskState); }
void project_task_completed(crm::Call& call) { project_once(call, kTaskState); }
void project_task_due_soon(crm::Call& call) { project_once(call, kTaskState); }
void project_task_reassigned(crm::Call& call) { project_once(call, kTasksMoved); }

} // namespace analytics
