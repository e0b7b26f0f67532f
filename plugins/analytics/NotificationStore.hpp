// NotificationStore: writing one notification. Each is tied to the event
// that caused it and to its user: the pair is unique, so a notification
// exists once however often the event is delivered (the host's inbox already
// stops most repeats; this holds also without it). A new notification emits
// notification.created, whose data the host pushes to the user's stream.
#pragma once

#include <crm/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace analytics {

struct NewNotification {
  std::string user_id;
  std::string kind; // APPROVAL_ASSIGNED, APPROVAL_ESCALATED, APPROVAL_APPROVED, ...
  std::string title;
  std::string body;
  std::optional<std::string> resource_type; // "approval", "task", "customer"
  std::optional<std::string> resource_id;
  std::vector<std::string> customer_ids; // what archive_for_customer looks for
  std::string event_id;
};

// True when the notification is new (and notification.created was emitted).
bool create_notification(crm::Call& call, const NewNotification& n);

} // namespace analytics
