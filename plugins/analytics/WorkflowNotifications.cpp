// WorkflowNotifications: notifications a workflow sends in its own words (the
// reassignment saga's summary to both users and their manager), for what no
// single event tells.
//
//   analytics.notify {key, notifications: [{userId, kind, title, body?,
//                     resourceType?, resourceId?}, ...]} -> {notified: n}
//
// `key` (a UUID, e.g. the workflow instance's id) stands where an event's id
// stands for the notifications of events: each user gets at most one
// notification per key, however often the step runs.
#include "Handlers.hpp"

#include "NotificationStore.hpp"

#include <crm/sdk/input_rules.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace analytics {

namespace {

constexpr std::size_t kMaxNotifications = 100;

std::optional<std::string> text_of(const Poco::JSON::Object& o, const std::string& key, const std::string& field,
                                   std::size_t max_length) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  const auto v = o.get(key);
  if (!v.isString()) throw crm::invalid(field + "." + key, "must be a string");
  std::string s = v.toString();
  if (s.size() > max_length) throw crm::invalid(field + "." + key, "is longer than " + std::to_string(max_length));
  return s;
}

std::string required_text_of(const Poco::JSON::Object& o, const std::string& key, const std::string& field,
                             std::size_t max_length) {
  auto s = text_of(o, key, field, max_length);
  if (!s || s->empty()) throw crm::invalid(field + "." + key, "is required");
  return *s;
}

} // namespace

void notify_users(crm::Call& call) {
  const auto& in = call.input();
  const std::string key = crm::required_uuid(in, "key");
  const auto list = in.object().getArray("notifications");
  if (!list) throw crm::invalid("notifications", "must be a list of {userId, kind, title}");
  if (list->size() > kMaxNotifications)
    throw crm::invalid("notifications", "holds more than " + std::to_string(kMaxNotifications));

  std::vector<NewNotification> all;
  all.reserve(list->size());
  for (unsigned i = 0; i < list->size(); ++i) {
    const std::string field = "notifications[" + std::to_string(i) + "]";
    const auto item = list->getObject(i);
    if (!item) throw crm::invalid(field, "must be an object");
    NewNotification n;
    n.user_id = crm::lower_ascii(required_text_of(*item, "userId", field, 36));
    if (!crm::is_uuid(n.user_id)) throw crm::invalid(field + ".userId", "must be a UUID");
    n.kind = required_text_of(*item, "kind", field, 64);
    n.title = required_text_of(*item, "title", field, 200);
    n.body = text_of(*item, "body", field, 2000).value_or("");
    n.resource_type = text_of(*item, "resourceType", field, 64);
    n.resource_id = text_of(*item, "resourceId", field, 36);
    n.event_id = key;
    all.push_back(std::move(n));
  }
  // Checked first, written after: a bad item writes nothing.
  std::int64_t notified = 0;
  for (const auto& n : all) notified += create_notification(call, n) ? 1 : 0;
  call.reply(crm::JsonObject().field("notified", notified).str());
}

} // namespace analytics
