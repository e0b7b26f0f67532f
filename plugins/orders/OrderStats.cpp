// OrderStats: GET /api/orders/stats from the stats read-model, which
// order.status_changed feeds (orders.project_status_changed, replayable)
// and orders.reset_stats empties before a rebuild
// (POST /api/plugins/orders/rebuild replays the events into it).
//
// A projection is idempotent by itself, as a replay needs (it bypasses the
// inbox): per order the entry with the highest seq decides the status, and
// the day it shipped is the SHIPPED entry's day, whatever order they come in.
#include "Handlers.hpp"

#include <crm/sdk/owner_scope.hpp>

#include <string>

namespace orders {

void project_status_changed(crm::Call& call) {
  call.sql(R"sql(
    with e as (select $1::jsonb -> 'data' as d)
    insert into order_stats_rows as s (order_id, owner_id, status, seq, total, currency, shipped_on)
    select (d ->> 'orderId')::uuid, (d ->> 'ownerId')::uuid, d ->> 'status', (d ->> 'seq')::int,
           (d ->> 'total')::numeric, d ->> 'currency',
           case when d ->> 'status' = 'SHIPPED' then ((d ->> 'at')::timestamptz at time zone 'UTC')::date end
    from e
    on conflict (order_id) do update set
      status = case when excluded.seq > s.seq then excluded.status else s.status end,
      seq = greatest(excluded.seq, s.seq),
      shipped_on = coalesce(s.shipped_on, excluded.shipped_on))sql",
           {call.input_json()});
  call.reply(R"({"applied":true})");
}

// TRUNCATE waits for projections in flight; the replay then starts from nothing.
void reset_stats(crm::Call& call) {
  call.sql("truncate order_stats_rows");
  call.reply(R"({"reset":true})");
}

// -> {counts: {PENDING: n, ...every status}, revenueByDay: [{day, currency,
// orders, revenue}]}, revenue being the totals of the SHIPPED and DELIVERED
// orders by the day they shipped. A MANAGER sees its team's orders.
void order_stats(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  auto rows = call.sql(R"sql(
    with mine as (
      select * from order_stats_rows where $1::uuid[] is null or owner_id = any ($1::uuid[]))
    select json_build_object(
      'counts', (select json_object_agg(s.status, (select count(*) from mine m where m.status = s.status))
                 from unnest(array['PENDING', 'RESERVED', 'PAID', 'SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED'])
                   as s(status)),
      'revenueByDay', coalesce((
        select json_agg(json_build_object('day', day, 'currency', currency, 'orders', orders,
                                          'revenue', revenue::text) order by day, currency)
        from (select shipped_on::text as day, currency, count(*) as orders, sum(total)::numeric(14,2) as revenue
              from mine where status in ('SHIPPED', 'DELIVERED') and shipped_on is not null
              group by shipped_on, currency) r), '[]'::json))::text)sql",
                       {scope.owners_array()});
  call.reply(*rows.at(0, 0));
}

} // namespace orders
