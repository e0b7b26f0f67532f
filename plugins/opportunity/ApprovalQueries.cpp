// ApprovalQueries: reading approvals, always in the caller's scope
// (crm::OwnerScope and visible_to(); an approval the caller may not see is a 404).
//
//   GET /api/approvals ?status=&customerId=&requesterId=&currentApproverId=&limit=&cursor=
//       -> {items, nextCursor}, newest first, items without history
//   GET /api/approvals/{id}  -> the approval with its history
//   GET /api/approvals/stats -> {total, byStatus: {PENDING: {count, amounts: {EUR: 1500.00}}, ...}}
//       amounts are summed per currency: there is no conversion between them.
#include "Handlers.hpp"

#include "ApprovalRecords.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/keyset_page.hpp>

#include <optional>
#include <string>
#include <vector>

namespace opportunity {

namespace {
const std::vector<std::string> kStatuses{"PENDING", "APPROVED", "REJECTED", "CANCELLED"};
} // namespace

void list_approvals(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const auto status = crm::optional_choice(in, "status", kStatuses);
  const auto customer = crm::optional_uuid(in, "customerId");
  const auto requester = crm::optional_uuid(in, "requesterId");
  const auto approver = crm::optional_uuid(in, "currentApproverId");
  const std::int64_t limit = crm::page_limit(in);
  const auto after = crm::cursor_of(in);

  auto rows = call.sql(R"sql(
    select approval_json(a) as approval, cursor_time(a.created_at) as sort_at, a.id
    from approvals a
    where visible_to(a, $1::uuid[], $2::uuid)
      and ($3::text is null or a.status = $3)
      and ($4::uuid is null or a.customer_id = $4::uuid)
      and ($5::uuid is null or a.requester_id = $5::uuid)
      and ($6::uuid is null or a.current_approver_id = $6::uuid)
      and ($7::timestamptz is null or (a.created_at, a.id) < ($7::timestamptz, $8::uuid))
    order by a.created_at desc, a.id desc
    limit $9::int + 1)sql",
                       {scope.owners_array(), scope.viewer(), status, customer, requester, approver,
                        after ? std::optional<std::string>(after->at) : std::nullopt,
                        after ? std::optional<std::string>(after->id) : std::nullopt, limit});
  crm::reply_page(call, rows, limit);
}

void get_approval(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    select approval_json(a), approval_history_json(a.id) from approvals a
    where a.id = $1::uuid and visible_to(a, $2::uuid[], $3::uuid))sql",
                       {id, scope.owners_array(), scope.viewer()});
  if (rows.empty()) throw crm::not_found("approval");
  call.reply(crm::with_members(*rows.at(0, 0), crm::JsonObject().raw("history", *rows.at(0, 1))));
}

void approval_stats(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  auto rows = call.sql(R"sql(
    with visible as (
      select a.status, a.currency, a.amount from approvals a where visible_to(a, $1::uuid[], $2::uuid)),
    per_currency as (
      select status, currency, count(*) as n, sum(amount) as total from visible group by status, currency),
    per_status as (
      select s.status, s.position, coalesce(sum(p.n), 0)::bigint as n,
             coalesce(json_object_agg(p.currency, p.total order by p.currency) filter (where p.currency is not null),
                      '{}'::json) as amounts
      from unnest(array['PENDING', 'APPROVED', 'REJECTED', 'CANCELLED']) with ordinality as s(status, position)
      left join per_currency p on p.status = s.status
      group by s.status, s.position)
    select json_build_object(
      'total', coalesce(sum(n), 0)::bigint,
      'byStatus', json_object_agg(status, json_build_object('count', n, 'amounts', amounts) order by position))
    from per_status)sql",
                       {scope.owners_array(), scope.viewer()});
  call.reply(*rows.at(0, 0));
}

} // namespace opportunity
