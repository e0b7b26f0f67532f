// NotificationArchive: the customer-deletion saga's step on notifications,
// and its compensation (system only).
//   analytics.archive_for_customer {customerId} -> {customerId, ids}: hides
//     the notifications about that customer alone (an approval, a task, its
//     reassignment); a notification about several customers (one
//     reassignment of many) stays, since it is about the others too.
//   analytics.restore_archived {ids} -> {ids}: shows exactly those again.
// Both are idempotent: a repeat finds nothing left to change.
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/id_lists.hpp>

namespace analytics {

void archive_for_customer(crm::Call& call) {
  const std::string customer = crm::required_uuid(call.input(), "customerId");
  auto rows = call.sql(R"sql(
    update notifications set archived_at = now()
    where customer_ids @> array[$1::uuid] and cardinality(customer_ids) = 1 and archived_at is null
    returning id)sql",
                       {customer});
  call.reply(crm::JsonObject()
                 .field("customerId", customer)
                 .raw("ids", crm::json_string_array(crm::column_texts(rows)))
                 .str());
}

void restore_archived(crm::Call& call) {
  const auto ids = crm::uuid_list(call.input(), "ids");
  auto rows = call.sql(R"sql(
    update notifications set archived_at = null
    where id = any ($1::uuid[]) and archived_at is not null
    returning id)sql",
                       {crm::uuid_array(ids)});
  call.reply(crm::JsonObject().raw("ids", crm::json_string_array(crm::column_texts(rows))).str());
}

} // namespace analytics
