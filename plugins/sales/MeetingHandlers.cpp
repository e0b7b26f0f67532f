// MeetingHandlers: /api/meetings. A meeting belongs to its owner and is about
// one customer, which must exist and be visible to whoever creates (or moves)
// the meeting: the customer plugin decides that through customer.get. Record
// rules are crm::OwnerScope's; an invisible meeting is a 404.
//
// Every change is announced, for the read-models that count meetings:
// meeting.created with the API object (a new row is version 1), and
// meeting.updated, meeting.deleted with the row as meeting_event_json()
// gives it (the API object, its version, deleted).
// Reassignments announce meeting.reassigned (ActivityTransfers.cpp).
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/peer_checks.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/query_schema.hpp>

#include <crm/keyset_page.hpp>

#include <optional>
#include <string>

namespace sales {

namespace {

// The row of `id` if the caller may see it, locked for a change.
struct LockedMeeting {
  std::string owner_id;
  std::string customer_id;
};

std::optional<LockedMeeting> lock_visible(crm::Call& call, const crm::OwnerScope& scope, const std::string& id) {
  auto rows = call.sql(R"sql(
    select owner_id, customer_id from meetings
    where id = $1::uuid and deleted_at is null and ($2::uuid[] is null or owner_id = any ($2::uuid[]))
    for update)sql",
                       {id, scope.owners_array()});
  if (rows.empty()) return std::nullopt;
  return LockedMeeting{std::string(*rows.at(0, 0)), std::string(*rows.at(0, 1))};
}

// A new holder other than the caller must be a real, active user.
void check_new_owner(crm::Call& call, const crm::OwnerScope& scope, const std::string& owner) {
  if (owner != scope.user_id()) crm::require_active_user(call, owner, "ownerId");
}

std::optional<std::string> optional_duration(const crm::Input& in) {
  const auto minutes = in.integer("durationMinutes");
  if (minutes && (*minutes < 1 || *minutes > 1440)) throw crm::invalid("durationMinutes", "must be from 1 to 1440");
  return minutes ? std::optional<std::string>(std::to_string(*minutes)) : std::nullopt;
}

} // namespace

// ?customerId=&ownerId=&from=&to=&limit=&cursor= -> {items, nextCursor},
// ordered by scheduledAt then id; `from` inclusive, `to` exclusive.
void list_meetings(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  static const crm::QuerySchema kQuery =
      crm::QuerySchema().uuid("customerId").uuid("ownerId").timestamp("from").timestamp("to").page_limit();
  const crm::Query q = kQuery.read(in);
  const auto after = crm::cursor_of(in);

  auto rows = call.sql(R"sql(
    select meeting_json(m) as meeting, cursor_time(m.scheduled_at) as sort_at, m.id
    from meetings m
    where m.deleted_at is null
      and ($1::uuid[] is null or m.owner_id = any ($1::uuid[]))
      and ($2::uuid is null or m.customer_id = $2::uuid)
      and ($3::uuid is null or m.owner_id = $3::uuid)
      and ($4::timestamptz is null or m.scheduled_at >= $4::timestamptz)
      and ($5::timestamptz is null or m.scheduled_at < $5::timestamptz)
      and ($6::timestamptz is null or (m.scheduled_at, m.id) > ($6::timestamptz, $7::uuid))
    order by m.scheduled_at, m.id
    limit $8::int + 1)sql",
                       {scope.owners_array(), q.uuid("customerId"), q.uuid("ownerId"), q.text("from"), q.text("to"),
                        after ? std::optional<std::string>(after->at) : std::nullopt,
                        after ? std::optional<std::string>(after->id) : std::nullopt, q.limit()});
  crm::reply_page(call, rows, q.limit());
}

// POST {customerId, title, scheduledAt, durationMinutes?, location?, notes?,
// ownerId?} -> 201 meeting, and meeting.created. ownerId defaults to the caller.
void create_meeting(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string customer = crm::required_uuid(in, "customerId");
  const std::string title = crm::required_text(in, "title", kMaxTitle);
  const auto scheduled_at = crm::optional_timestamp(in, "scheduledAt");
  if (!scheduled_at) throw crm::invalid("scheduledAt", "is required");
  const auto duration = optional_duration(in);
  const auto location = in.text("location");
  const auto notes = in.text("notes");
  const std::string owner = scope.holder_for(crm::optional_uuid(in, "ownerId"), "ownerId");

  // Checked before this call's own transaction opens: nothing is written
  // unless the customer is there for the caller.
  check_new_owner(call, scope, owner);
  crm::require_visible_customer(call, customer, "customerId");

  auto rows = call.sql(R"sql(
    insert into meetings as m (customer_id, owner_id, title, scheduled_at, duration_minutes, location, notes)
    values ($1::uuid, $2::uuid, $3, $4::timestamptz, coalesce($5::int, 30), $6, $7)
    returning m.id, meeting_json(m))sql",
                       {customer, owner, title, *scheduled_at, duration, location, notes});
  const std::string id(*rows.at(0, 0));
  const std::string meeting(*rows.at(0, 1));
  call.emit("meeting.created", id, meeting);
  call.reply(meeting);
}

void get_meeting(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    select meeting_json(m) from meetings m
    where m.id = $1::uuid and m.deleted_at is null and ($2::uuid[] is null or m.owner_id = any ($2::uuid[])))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) throw crm::not_found("meeting");
  call.reply(*rows.at(0, 0));
}

// PATCH {customerId?, title?, scheduledAt?, durationMinutes?, location?,
// notes?, ownerId?}: a partial update; location and notes may be null.
void patch_meeting(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const std::string id = crm::required_uuid(in, "id");
  const auto customer = crm::optional_uuid(in, "customerId");
  const auto title =
      in.has("title") ? std::optional<std::string>(crm::required_text(in, "title", kMaxTitle)) : std::nullopt;
  const auto scheduled_at = crm::optional_timestamp(in, "scheduledAt");
  const auto duration = optional_duration(in);
  const bool location_given = in.object().has("location");
  const auto location = in.text("location");
  const bool notes_given = in.object().has("notes");
  const auto notes = in.text("notes");
  const auto new_owner = crm::optional_uuid(in, "ownerId");

  const auto meeting = lock_visible(call, scope, id);
  if (!meeting) throw crm::not_found("meeting");
  if (new_owner && *new_owner != meeting->owner_id)
    check_new_owner(call, scope, scope.holder_for(new_owner, "ownerId"));
  if (customer && *customer != meeting->customer_id) crm::require_visible_customer(call, *customer, "customerId");

  auto rows =
      call.sql(R"sql(
    update meetings m set
      customer_id = coalesce($2::uuid, m.customer_id),
      title = coalesce($3, m.title),
      scheduled_at = coalesce($4::timestamptz, m.scheduled_at),
      duration_minutes = coalesce($5::int, m.duration_minutes),
      location = case when $6::boolean then $7 else m.location end,
      notes = case when $8::boolean then $9 else m.notes end,
      owner_id = coalesce($10::uuid, m.owner_id),
      updated_at = now()
    where m.id = $1::uuid
    returning meeting_json(m), meeting_event_json(m))sql",
               {id, customer, title, scheduled_at, duration, location_given, location, notes_given, notes, new_owner});
  // Copied out: the emit is a statement of its own.
  const std::string changed(*rows.at(0, 0));
  call.emit("meeting.updated", id, std::string(*rows.at(0, 1)));
  call.reply(changed);
}

// DELETE -> 204. The row stays, hidden (deleted_at), like every deletion here.
void delete_meeting(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql(R"sql(
    update meetings m set deleted_at = now(), updated_at = now()
    where id = $1::uuid and deleted_at is null and ($2::uuid[] is null or owner_id = any ($2::uuid[]))
    returning meeting_event_json(m))sql",
                       {id, scope.owners_array()});
  if (rows.empty()) throw crm::not_found("meeting");
  call.emit("meeting.deleted", id, std::string(*rows.at(0, 0)));
}

} // namespace sales
