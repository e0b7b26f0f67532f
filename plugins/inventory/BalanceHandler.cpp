// BalanceHandler: GET /api/inventory/balance (ADMIN), the books of every
// product, for checking after a load or a crash that no unit was lost or
// counted twice:
//   initial + restocked == stock + committed   (units in and out)
//   reserved == the quantities of RESERVED reservations
// {items: [{sku, stock, reserved, committed, released, restocked, initial,
// heldByReservations, balanced}], balanced}; ?sku= narrows it to one product.
#include "Handlers.hpp"
#include "ProductInput.hpp"

#include <crm/sdk/query_schema.hpp>

#include <string>

namespace inventory {

void stock_check(crm::Call& call) {
  const crm::Query query = crm::QuerySchema().text("sku", 64).read(call.input());
  auto rows = call.sql(
      "with held as (select i.sku, sum(i.quantity) as quantity from reservation_items i "
      "  join reservations r on r.reservation = i.reservation where r.status = 'RESERVED' group by i.sku), "
      "books as (select jsonb_build_object('sku', p.sku, 'stock', p.stock, 'reserved', p.reserved, "
      "  'committed', p.committed, 'released', p.released, 'restocked', p.restocked, 'initial', p.initial_stock, "
      "  'heldByReservations', coalesce(h.quantity, 0), "
      "  'balanced', p.initial_stock + p.restocked = p.stock + p.committed and p.reserved = coalesce(h.quantity, 0)) "
      "  as item from products p left join held h on h.sku = p.sku where $1::text is null or p.sku = $1 "
      "  order by p.sku) "
      "select jsonb_build_object('items', coalesce(jsonb_agg(item), '[]'::jsonb), "
      "  'balanced', coalesce(bool_and((item->>'balanced')::boolean), true))::text from books",
      {query.text("sku")});
  call.reply(*rows.at(0, 0));
}

} // namespace inventory
