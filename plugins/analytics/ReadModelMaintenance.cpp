// ReadModelMaintenance: the operations that change the read-models other
// than by an event.
//   analytics.reset_read_models {} (CRM_OP_REPLAY_RESET): the host's rebuild
//     calls it before it replays the stream; empties every read-model, its
//     rollups and the applied event ids. Notifications stay.
//   analytics.drop_customer {customerId}: a customer-deletion saga step. The
//     customer leaves the read-models with what the saga deletes in sales
//     without an event (its future meetings and open tasks), and is
//     remembered so a rebuild does not bring them back.
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>

namespace analytics {

// TRUNCATE waits for projections in flight and makes those that follow
// start from nothing; the replay then applies every event once.
void reset_read_models(crm::Call& call) {
  call.sql("truncate applied_events, users, customers, meetings, tasks, approvals, daily_user_stats, "
           "monthly_user_stats, user_totals, approval_totals");
  call.reply(R"({"reset":true})");
}

// -> {customerId, customer: removed?, meetings: n, tasks: n}; a repeat
// removes nothing more.
void drop_customer(crm::Call& call) {
  const std::string customer = crm::required_uuid(call.input(), "customerId");
  call.sql("insert into dropped_customers (id) values ($1::uuid) on conflict do nothing", {customer});
  const bool removed = !call.sql("delete from customers where id = $1::uuid returning id", {customer}).empty();
  const auto meetings = call.sql(R"sql(
    with gone as (
      delete from meetings m using dropped_customers x
      where m.customer_id = $1::uuid and x.id = m.customer_id and m.scheduled_at > x.dropped_at
      returning 1)
    select count(*) from gone)sql",
                                 {customer});
  const std::string meeting_count(*meetings.at(0, 0));
  const auto tasks = call.sql(R"sql(
    with gone as (delete from tasks where customer_id = $1::uuid and completed_at is null returning 1)
    select count(*) from gone)sql",
                              {customer});
  const std::string task_count(*tasks.at(0, 0));
  call.reply(crm::JsonObject()
                 .field("customerId", customer)
                 .field("customer", removed)
                 .raw("meetings", meeting_count)
                 .raw("tasks", task_count)
                 .str());
}

} // namespace analytics
