// NotificationStore: see the header.
#include "NotificationStore.hpp"

#include <crm/sdk/text_rules.hpp>
#include <crm/sdk/id_lists.hpp>

namespace analytics {

bool create_notification(crm::Call& call, const NewNotification& n) {
  auto rows = call.sql(
      R"sql(
    insert into notifications as n (user_id, kind, title, body, resource_type, resource_id, customer_ids, event_id)
    values ($1::uuid, $2, $3, $4, $5, $6, $7::uuid[], $8::uuid)
    on conflict (event_id, user_id) do nothing
    returning n.id, notification_json(n))sql",
      {n.user_id, n.kind, n.title, n.body, n.resource_type, n.resource_id, crm::uuid_array(n.customer_ids),
       n.event_id});
  if (rows.empty()) return false;
  const std::string id(*rows.at(0, 0));
  const std::string json(*rows.at(0, 1));
  call.emit("notification.created", id, json);
  return true;
}

} // namespace analytics
