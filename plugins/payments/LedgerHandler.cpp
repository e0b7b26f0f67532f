// LedgerHandler: GET /api/payments/ledger?orderId= (ADMIN): the simulated
// provider's books, every charge and refund it executed, oldest first, for
// checking that an order was charged at most once and refunded exactly when
// it should have been. Without orderId: the latest 200 entries.
#include "Handlers.hpp"

#include <crm/sdk/query_schema.hpp>

namespace payments {

void ledger(crm::Call& call) {
  const crm::Query query = crm::QuerySchema().uuid("orderId").read(call.input());
  auto rows = call.sql(
      "select coalesce(jsonb_agg(e order by e.\"executedAt\", e.\"idempotencyKey\"), '[]'::jsonb)::text from ("
      "  select idempotency_key as \"idempotencyKey\", kind, order_id as \"orderId\", amount::text as amount, "
      "  currency, outcome, reference, reason, "
      "  to_char(executed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') as \"executedAt\" "
      "  from provider_books where $1::uuid is null or order_id = $1::uuid "
      "  order by executed_at desc limit 200) e",
      {query.uuid("orderId")});
  call.reply(std::string("{\"items\":") + std::string(*rows.at(0, 0)) + "}");
}

} // namespace payments
