// OrderQueries: GET /api/orders and GET /api/orders/{id}, in the caller's
// scope (crm::OwnerScope over the order's owner: the customer's owner when
// it was placed). An order outside the scope is a 404, like one that does
// not exist.
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/query_schema.hpp>

#include <crm/keyset_page.hpp>

#include <optional>
#include <string>

namespace orders {

// ?status=&customerId=&limit=&cursor= -> {items, nextCursor}, newest first.
void list_orders(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  static const crm::QuerySchema kQuery =
      crm::QuerySchema()
          .choice("status", {"PENDING", "RESERVED", "PAID", "SHIPPED", "DELIVERED", "FAILED", "CANCELLED"})
          .uuid("customerId")
          .page_limit();
  const crm::Query q = kQuery.read(in);
  const auto after = crm::cursor_of(in);

  auto rows = call.sql(R"sql(
    select order_summary_json(o) as item, cursor_time(o.created_at) as sort_at, o.id
    from orders o
    where ($1::uuid[] is null or o.owner_id = any ($1::uuid[]))
      and ($2::text is null or o.status = $2)
      and ($3::uuid is null or o.customer_id = $3::uuid)
      and ($4::timestamptz is null or (o.created_at, o.id) < ($4::timestamptz, $5::uuid))
    order by o.created_at desc, o.id desc
    limit $6::int + 1)sql",
                       {scope.owners_array(), q.text("status"), q.uuid("customerId"),
                        after ? std::optional<std::string>(after->at) : std::nullopt,
                        after ? std::optional<std::string>(after->id) : std::nullopt, q.limit()});
  crm::reply_page(call, rows, q.limit());
}

void get_order(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    select order_json(o) from orders o
    where o.id = $1::uuid and ($2::uuid[] is null or o.owner_id = any ($2::uuid[])))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) throw crm::not_found("order");
  call.reply(*rows.at(0, 0));
}

} // namespace orders
