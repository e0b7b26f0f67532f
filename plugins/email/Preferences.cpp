// Preferences: GET/PUT /api/notifications/preferences, the caller's own and
// nobody else's (the principal's id is the key; no route takes a user id).
// Without a stored row a user gets INSTANT with nothing muted: notifications
// are meant to be read, and a user who wants fewer e-mails says so.
#include "Handlers.hpp"

namespace email {

namespace {

constexpr const char* kDefaults = R"({"email":"INSTANT","mutedKinds":[],"updatedAt":null})";

std::string caller_id(crm::Call& call) {
  auto id = call.principal().id;
  if (id.empty()) throw crm::forbidden("preferences belong to a signed-in user");
  return id;
}

} // namespace

void get_preferences(crm::Call& call) {
  const std::string user = caller_id(call);
  auto rows = call.sql("select json_build_object('email', email, 'mutedKinds', to_json(muted_kinds), "
                       "'updatedAt', cursor_time(updated_at)) from preferences where user_id = $1::uuid",
                       {user});
  call.reply(rows.empty() ? std::string_view(kDefaults) : *rows.at(0, 0));
}

// The schema has checked the body (email one of the modes, mutedKinds an
// array of kind names); repeated kinds are kept once, sorted.
void put_preferences(crm::Call& call) {
  const std::string user = caller_id(call);
  auto rows = call.sql(R"sql(
    insert into preferences as p (user_id, email, muted_kinds, updated_at)
    values ($1::uuid, $2::jsonb->>'email',
            array(select distinct k from jsonb_array_elements_text(coalesce($2::jsonb->'mutedKinds', '[]')) k order by k),
            now())
    on conflict (user_id) do update set email = excluded.email, muted_kinds = excluded.muted_kinds,
                                         updated_at = excluded.updated_at
    returning json_build_object('email', p.email, 'mutedKinds', to_json(p.muted_kinds),
                                'updatedAt', cursor_time(p.updated_at)))sql",
                       {user, call.input_json()});
  call.reply(*rows.at(0, 0));
}

} // namespace email
