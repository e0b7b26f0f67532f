// OrderStream: GET /api/orders/{id}/stream (CRM_OP_STREAM): the host asks
// this handler, as the caller, for what to send first, then follows the
// order's order.status_changed events itself (see the flag's comment in
// plugin_abi.h). Input {id, after?}:
//   - without `after`: one frame {id: <last seq>, event: "order", data: <the
//     order as GET gives it>};
//   - with `after`: a frame {id: seq, event: "order.status_changed", data:
//     <the entry as its event carried it>} for each timeline entry after it.
// `done` is true once the order is final: nothing more will happen.
// An order the caller may not see is a 404 and nothing is opened.
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <optional>
#include <string>

namespace orders {

void stream_order(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto after = crm::optional_integer(in, "after");
  if (after && *after < 0) throw crm::invalid("after", "must be 0 or more");

  auto rows = call.sql(R"sql(
    select json_build_object(
      'frames', case when $3::int is null then
          json_build_array(json_build_object(
            'id', (select coalesce(max(t.seq), 0) from order_timeline t where t.order_id = o.id),
            'event', 'order', 'data', order_json(o)))
        else coalesce((select json_agg(json_build_object('id', t.seq, 'event', 'order.status_changed', 'data', t.data)
                                       order by t.seq)
                       from order_timeline t where t.order_id = o.id and t.seq > $3::int), '[]'::json) end,
      'done', is_final(o.status),
      'follow', json_build_object('types', json_build_array('order.status_changed'), 'subject', o.id,
                                  'cursor', 'seq', 'final', 'final'))::text
    from orders o
    where o.id = $1::uuid and ($2::uuid[] is null or o.owner_id = any ($2::uuid[])))sql",
                       {id, scope.owners_array(),
                        after ? std::optional<std::string>(std::to_string(*after)) : std::nullopt});
  if (rows.empty()) throw crm::not_found("order");
  call.reply(*rows.at(0, 0));
}

} // namespace orders
