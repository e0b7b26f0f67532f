// CustomerProjection: the customers read-model from the customer plugin's
// events.
//   customer.created, customer.updated: the customer as it is (full object)
//   customer.deleted {id, ownerId}: gone from every figure (kept, flagged)
//   customer.reassigned {fromUserId, toUserId, ids}: new owner of each id
// Owner and status come from the event with the later envelope time;
// createdAt and deletion never change once known. A customer the deletion
// saga dropped (dropped_customers) is not brought back.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

const std::string kCustomerState = std::string("with event as (") + kEventCte + R"sql()
  insert into customers as c (id, owner_id, status, created_at, state_at)
  select (d ->> 'id')::uuid, (d ->> 'ownerId')::uuid, d ->> 'status', (d ->> 'createdAt')::timestamptz, at
  from event
  where not exists (select 1 from dropped_customers x where x.id = (event.d ->> 'id')::uuid)
  on conflict (id) do update set
    created_at = coalesce(c.created_at, excluded.created_at),
    owner_id = case when excluded.state_at > c.state_at then excluded.owner_id else c.owner_id end,
    status = case when excluded.state_at > c.state_at then excluded.status else coalesce(c.status, excluded.status) end,
    state_at = greatest(c.state_at, excluded.state_at)
  where c.created_at is null or c.status is null or excluded.state_at > c.state_at)sql";

// A deletion seen before the customer itself leaves a row that any later
// state fills in (its state_at is the earliest possible).
const std::string kCustomerDeleted = std::string("with event as (") + kEventCte + R"sql()
  insert into customers as c (id, owner_id, deleted, state_at)
  select (d ->> 'id')::uuid, (d ->> 'ownerId')::uuid, true, '-infinity'
  from event
  where not exists (select 1 from dropped_customers x where x.id = (event.d ->> 'id')::uuid)
  on conflict (id) do update set deleted = true
  where not c.deleted)sql";

// Rows in id order: two reassignments of overlapping customers lock them in
// the same order.
const std::string kCustomersReassigned = std::string("with event as (") + kEventCte + R"sql()
  insert into customers as c (id, owner_id, state_at)
  select ids.id::uuid, (event.d ->> 'toUserId')::uuid, event.at
  from event, jsonb_array_elements_text(event.d -> 'ids') as ids (id)
  where not exists (select 1 from dropped_customers x where x.id = ids.id::uuid)
  order by 1
  on conflict (id) do update set owner_id = excluded.owner_id, state_at = excluded.state_at
  where excluded.state_at > c.state_at)sql";

} // namespace

void project_customer_created(crm::Call& call) { project_once(call, kCustomerState); }
void project_customer_updated(crm::Call& call) { project_once(call, kCustomerState); }
void project_customer_deleted(crm::Call& call) { project_once(call, kCustomerDeleted); }
void project_customer_reassigned(crm::Call& call) { project_once(call, kCustomersReassigned); }

} // namespace analytics
