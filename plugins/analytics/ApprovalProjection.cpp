// ApprovalProjection: approvals from the opportunity plugin's events. Every
// approval.* event carries the whole approval (id, customerId, requesterId,
// title, amount, currency, status, level, currentApproverId, createdAt,
// decidedAt). A decided approval (APPROVED, REJECTED, CANCELLED) never
// changes again; between PENDING states the later envelope time wins.
#include "Handlers.hpp"

#include "AppliedEvents.hpp"

#include <string>

namespace analytics {

namespace {

const std::string kApprovalState = std::string("with event as (") + kEventCte + R"sql()
  insert into approvals as a (id, customer_id, requester_id, title, amount, currency, status, level,
                              current_approver_id, created_at, decided_at, state_at)
  select (d ->> 'id')::uuid, (d ->> 'customerId')::uuid, (d ->> 'requesterId')::uuid, d ->> 'title',
         (d ->> 'amount')::numeric, d ->> 'currency', d ->> 'status', (d ->> 'level')::integer,
         (d ->> 'currentApproverId')::uuid, (d ->> 'createdAt')::timestamptz, (d ->> 'decidedAt')::timestamptz, at
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
    state_at = excluded.state_at
  where a.status is distinct from 'APPROVED' and a.status is distinct from 'REJECTED'
    and a.status is distinct from 'CANCELLED'
    and (excluded.status in ('APPROVED', 'REJECTED', 'CANCELLED') or excluded.state_at > a.state_at))sql";

} // namespace

void project_approval(crm::Call& call) { project_once(call, kApprovalState); }

} // namespace analytics
