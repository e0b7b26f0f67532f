// UserProjection: the users read-model from auth's events, for the names in
// the reports and the list of users an ADMIN's per-user report shows.
//   user.created {user}, user.updated {id, changed, user}: the user as it is
//   user.deleted {userId, reassignTo}: deactivated
// The later event (envelope time) wins; a row first made by user.deleted
// still takes the name and email of an earlier user.created.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

const std::string kUserState = std::string("with event as (") + kEventCte + R"sql()
  insert into users as u (id, name, email, role, manager_id, active, state_at)
  select (d -> 'user' ->> 'id')::uuid, d -> 'user' ->> 'name', d -> 'user' ->> 'email', d -> 'user' ->> 'role',
         (d -> 'user' ->> 'managerId')::uuid, coalesce((d -> 'user' ->> 'active')::boolean, true), at
  from event
  on conflict (id) do update set
    name = case when excluded.state_at > u.state_at then excluded.name else coalesce(u.name, excluded.name) end,
    email = case when excluded.state_at > u.state_at then excluded.email else coalesce(u.email, excluded.email) end,
    role = case when excluded.state_at > u.state_at then excluded.role else coalesce(u.role, excluded.role) end,
    manager_id = case when excluded.state_at > u.state_at then excluded.manager_id else u.manager_id end,
    active = case when excluded.state_at > u.state_at then excluded.active else u.active end,
    state_at = greatest(u.state_at, excluded.state_at)
  where excluded.state_at > u.state_at or u.name is null)sql";

const std::string kUserDeleted = std::string("with event as (") + kEventCte + R"sql()
  insert into users as u (id, active, state_at)
  select (d ->> 'userId')::uuid, false, at from event
  on conflict (id) do update set active = false, state_at = excluded.state_at
  where excluded.state_at > u.state_at)sql";

} // namespace

void project_user_created(crm::Call& call) { project_once(call, kUserState); }
void project_user_updated(crm::Call& call) { project_once(call, kUserState); }
void project_user_deleted(crm::Call& call) { project_once(call, kUserDeleted); }

} // namespace analytics
