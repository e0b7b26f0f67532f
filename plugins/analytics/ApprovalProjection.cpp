// ApprovalProjection: approvals from the opportunity plugin's events. Every
// approval.* event carries the whole approval (id, customerId, requesterId,
// title, amount, currency, status, level, currentApproverId, createdAt,
// decidedAt). Which event's state wins:
//  - an approval or rejection is final;
//  - a cancellation wins over PENDING, unless the approval was restored
//    after it (approval.requested with data.restored = true: the customer's
//    deletion was undone), and is undone only by such a later restoration;
//  - between PENDING states, the later envelope time.
// A decision wins whatever the times say: the transaction that decides may
// have begun before the one that assigned, and its time be the earlier.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

const std::string kApprovalState = std::string("with event as (") + kEventCte + R"sql()
  insert into approvals as a (id, customer_id, requester_id, title, amount, currency, status, level,
                              current_approver_id, created_at, decided_at, state_at, restored_at)
  select (d ->> 'id')::uuid, (d ->> 'customerId')::uuid, (d ->> 'requesterId')::uuid, d ->> 'title',
         (d ->> 'amount')::numeric, d ->> 'currency', d ->> 'status', (d ->> 'level')::integer,
         (d ->> 'currentApproverId')::uuid, (d ->> 'createdAt')::timestamptz, (d ->> 'decidedAt')::timestamptz, at,
         case when coalesce((d ->> 'restored')::boolean, false) then at end
  from event
  on conflict (id) do update set
    customer_id = excluded.customer_id,
    requester_id = excluded.requester_id,
    title = excluded.title,
    amount = excluded.amount,
    currency = excluded.currency,
    status = excluded.status,
    level = excluded.level,
    current_approver_id = excluded.current_approver_id,
    created_at = coalesce(a.created_at, excluded.created_at),
    decided_at = excluded.decided_at,
    state_at = excluded.state_at,
    restored_at = greatest(a.restored_at, excluded.restored_at)
  where case
    when a.status in ('APPROVED', 'REJECTED') then false
    when a.status = 'CANCELLED' then excluded.restored_at is not null and excluded.state_at > a.state_at
    when excluded.status in ('APPROVED', 'REJECTED') then true
    when excluded.status = 'CANCELLED' then a.restored_at is null or excluded.state_at > a.restored_at
    else excluded.state_at > a.state_at
  end)sql";

} // namespace

void project_approval(crm::Call& call) { project_once(call, kApprovalState); }

} // namespace analytics
