// UserQueryHandlers: reading users. GET /api/auth/users (ADMIN: everyone,
// MANAGER: its team) and GET /api/auth/users/{id} (ADMIN: anyone, MANAGER:
// itself and its team, SALES: itself; anyone else is a 404). A MANAGER's team
// is the principal's "team", filled in by this plugin's principal provider.
#include "Handlers.hpp"

#include "Base64Url.hpp"
#include "InputRules.hpp"
#include "UserRecords.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace auth {

namespace {

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 200;

// The keyset position after a row: (lower(email), id), opaque to callers.
struct Position {
  std::string email;
  std::string id;
};

std::string encode_cursor(const Position& p) { return base64url_encode(p.id + ":" + p.email); }

Position decode_cursor(const std::string& cursor) {
  const auto text = base64url_decode(cursor);
  if (!text || text->size() < 38 || (*text)[36] != ':' || !is_uuid(std::string_view(*text).substr(0, 36)))
    throw crm::invalid("cursor", "is not a cursor from this list");
  return Position{text->substr(37), text->substr(0, 36)};
}

// '{a,b}': a PostgreSQL array literal of the team's ids (UUIDs need no quoting).
std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (const auto& id : ids) {
    if (!is_uuid(id)) continue;
    if (out.size() > 1) out.push_back(',');
    out += id;
  }
  return out + "}";
}

} // namespace

// ?role=&active=&q=&limit=&cursor= -> {items, nextCursor}, ordered by email.
void list_users(crm::Call& call) {
  const auto caller = call.principal();
  const auto& in = call.input();

  const auto role = in.text("role");
  if (role && *role != "ADMIN" && *role != "MANAGER" && *role != "SALES")
    throw crm::invalid("role", "must be one of ADMIN, MANAGER, SALES");
  const auto active = optional_flag(in, "active");
  const auto q = in.text("q");
  const std::int64_t limit = optional_integer(in, "limit").value_or(kDefaultLimit);
  if (limit < 1 || limit > kMaxLimit) throw crm::invalid("limit", "must be from 1 to 200");
  std::optional<Position> after;
  if (auto cursor = in.text("cursor"); cursor && !cursor->empty()) after = decode_cursor(*cursor);
  // A MANAGER lists its team only; the ADMIN and the host's own calls (a
  // workflow looking for an approver) everyone (NULL: no filter).
  const std::optional<std::string> team =
      caller.is("ADMIN") || caller.is("system") ? std::nullopt : std::optional<std::string>(uuid_array(caller.team));

  // One row more than asked tells whether there is a next page.
  auto rows = call.sql(R"sql(
    select user_json(u) as "user", lower(u.email) as sort_email, u.id
    from users u
    where ($1::text is null or u.role = $1)
      and ($2::boolean is null or u.active = $2::boolean)
      and ($3::text is null or strpos(lower(u.email), lower($3)) > 0 or strpos(lower(u.name), lower($3)) > 0)
      and ($4::uuid[] is null or u.id = any ($4::uuid[]))
      and ($5::text is null or (lower(u.email), u.id) > ($5, $6::uuid))
    order by lower(u.email), u.id
    limit $7::int + 1)sql",
                       {role, active ? std::optional<std::string>(*active ? "true" : "false") : std::nullopt, q, team,
                        after ? std::optional<std::string>(after->email) : std::nullopt,
                        after ? std::optional<std::string>(after->id) : std::nullopt, limit});

  const size_t shown = std::min(rows.size(), static_cast<size_t>(limit));
  std::string items = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i) items.push_back(',');
    items += *rows.at(i, 0);
  }
  items.push_back(']');
  std::optional<std::string> next;
  if (rows.size() > shown)
    next = encode_cursor(Position{std::string(*rows.at(shown - 1, 1)), std::string(*rows.at(shown - 1, 2))});
  call.reply(crm::JsonObject().raw("items", items).field("nextCursor", next).str());
}

// GET /api/auth/users/{id}: 422 for a malformed id, 404 for a user the caller
// may not see (as for one that does not exist).
void get_user(crm::Call& call) {
  const std::string id = required_uuid(call.input(), "id");
  if (!call.principal().may_see_user(id)) throw crm::not_found("user");
  const auto user_json = users::json_of(call, id);
  if (!user_json) throw crm::not_found("user");
  call.reply(*user_json);
}

} // namespace auth
