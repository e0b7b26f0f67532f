// NotificationHandlers: a user's own notifications.
//   GET   /api/notifications            ?unread=true&limit=&cursor=, newest first
//   GET   /api/notifications/unread     the same with unread=true
//   PATCH /api/notifications/{id}/read  -> the notification; 404 for anyone else's
//   POST  /api/notifications/read-all   -> {updated: n}
// Archived notifications (customer deletion) are in none of them.
#include "Handlers.hpp"

#include <crm/keyset_page.hpp>
#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>

#include <optional>
#include <string>

namespace analytics {

namespace {

// The caller's user id: notifications belong to users, never to the system.
std::string caller_id(const crm::Call& call) {
  const auto user = crm::OwnerScope::of(call).viewer();
  if (!user) throw crm::forbidden("notifications belong to users");
  return *user;
}

// Two statements rather than one with "($n or read_at is null)", so that
// each is planned on its own partial index.
constexpr const char* kListAll = R"sql(
  select notification_json(n), cursor_time(n.created_at), n.id
  from notifications n
  where n.user_id = $1::uuid and n.archived_at is null
    and ($2::timestamptz is null or (n.created_at, n.id) < ($2::timestamptz, $3::uuid))
  order by n.created_at desc, n.id desc
  limit $4::int + 1)sql";

constexpr const char* kListUnread = R"sql(
  select notification_json(n), cursor_time(n.created_at), n.id
  from notifications n
  where n.user_id = $1::uuid and n.archived_at is null and n.read_at is null
    and ($2::timestamptz is null or (n.created_at, n.id) < ($2::timestamptz, $3::uuid))
  order by n.created_at desc, n.id desc
  limit $4::int + 1)sql";

void list(crm::Call& call, bool unread) {
  const std::string user = caller_id(call);
  const auto& in = call.input();
  const std::int64_t limit = crm::page_limit(in);
  const auto after = crm::cursor_of(in);
  auto rows =
      call.sql(unread ? kListUnread : kListAll, {user, after ? std::optional<std::string>(after->at) : std::nullopt,
                                                 after ? std::optional<std::string>(after->id) : std::nullopt, limit});
  crm::reply_page(call, rows, limit);
}

} // namespace

void list_notifications(crm::Call& call) { list(call, crm::optional_flag(call.input(), "unread").value_or(false)); }

void list_unread_notifications(crm::Call& call) { list(call, true); }

// Marking a read notification again changes nothing and answers the same.
void mark_notification_read(crm::Call& call) {
  const std::string user = caller_id(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    update notifications n set read_at = coalesce(n.read_at, now())
    where n.id = $1::uuid and n.user_id = $2::uuid and n.archived_at is null
    returning notification_json(n))sql",
                       {id, user});
  if (rows.empty()) throw crm::not_found("notification");
  call.reply(*rows.at(0, 0));
}

void mark_all_notifications_read(crm::Call& call) {
  const std::string user = caller_id(call);
  auto rows = call.sql(R"sql(
    with changed as (
      update notifications set read_at = now()
      where user_id = $1::uuid and read_at is null and archived_at is null
      returning 1)
    select count(*) from changed)sql",
                       {user});
  call.reply(crm::JsonObject().raw("updated", *rows.at(0, 0)).str());
}

} // namespace analytics
