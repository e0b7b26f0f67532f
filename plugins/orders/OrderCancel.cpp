// OrderCancel: POST /api/orders/{id}/cancel. Before the order ships, the
// request is recorded (cancel_requested) and answered 202 with the order:
// the saga's next orders.advance then fails with CONFLICT "CANCELLED", and
// its compensation refunds, releases and ends the order CANCELLED through
// orders.fail. An order already CANCELLED answers 202 again; one SHIPPED,
// DELIVERED or FAILED answers 409. Invisible: 404.
#include "Handlers.hpp"
#include "OrderRecord.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <string>

namespace orders {

void cancel_order(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  const auto order = lock_order(call, id, scope.owners_array());
  if (!order) throw crm::not_found("order");
  if (order->status == "SHIPPED" || order->status == "DELIVERED" || order->status == "FAILED")
    throw crm::conflict("the order is " + order->status + " and can no longer be cancelled");
  if (order->status != "CANCELLED" && !order->cancel_requested)
    call.sql("update orders set cancel_requested = true, updated_at = now() where id = $1::uuid", {id});
  call.reply(order_json(call, id));
}

} // namespace orders
