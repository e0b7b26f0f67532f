// UserQueryHandlers: reading users. GET /api/auth/users (ADMIN: everyone,
// MANAGER: its team) and GET /api/auth/users/{id} (ADMIN: anyone, MANAGER:
// itself and its team, SALES: itself; anyone else is a 404). A MANAGER's team
// is the principal's "team", filled in by this plugin's principal provider.
#include "Handlers.hpp"

#include "UserRecords.hpp"

#include <crm/keyset_page.hpp>
#include <crm/sdk/id_lists.hpp>
#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/owner_scope.hpp>
#include <crm/sdk/query_schema.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace auth {

namespace {

const crm::QuerySchema kListQuery =
    crm::QuerySchema().choice("role", {"ADMIN", "MANAGER", "SALES"}).flag("active").text("q", 254).page_limit();

// The list's sort key is lower(email): any text an address can be.
bool is_sort_email(std::string_view key) { return key.size() <= 254; }

} // namespace

// ?role=&active=&q=&limit=&cursor= -> {items, nextCursor}, ordered by email.
void list_users(crm::Call& call) {
  const auto scope = crm::OwnerScope::of(call);
  const auto& in = call.input();
  const crm::Query query = kListQuery.read(in);
  const auto active = query.flag("active");
  const auto after = crm::cursor_of(in, is_sort_email);
  // A MANAGER lists its team only; the ADMIN and the host's own calls (a
  // workflow looking for an approver) everyone (NULL: no filter).
  const std::optional<std::string> team =
      scope.sees_all() ? std::nullopt : std::optional<std::string>(crm::uuid_array(scope.team()));

  // One row more than asked tells whether there is a next page.
  auto rows =
      call.sql(R"sql(
    select user_json(u) as "user", lower(u.email) as sort_email, u.id
    from users u
    where ($1::text is null or u.role = $1)
      and ($2::boolean is null or u.active = $2::boolean)
      and ($3::text is null or strpos(lower(u.email), lower($3)) > 0 or strpos(lower(u.name), lower($3)) > 0)
      and ($4::uuid[] is null or u.id = any ($4::uuid[]))
      and ($5::text is null or (lower(u.email), u.id) > ($5, $6::uuid))
    order by lower(u.email), u.id
    limit $7::int + 1)sql",
               {query.text("role"), active ? std::optional<std::string>(*active ? "true" : "false") : std::nullopt,
                query.text("q"), team, after ? std::optional<std::string>(after->at) : std::nullopt,
                after ? std::optional<std::string>(after->id) : std::nullopt, query.limit()});
  crm::reply_page(call, rows, query.limit());
}

// GET /api/auth/users/{id}: 422 for a malformed id, 404 for a user the caller
// may not see (as for one that does not exist).
void get_user(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "id");
  if (!call.principal().may_see_user(id)) throw crm::not_found("user");
  const auto user_json = users::json_of(call, id);
  if (!user_json) throw crm::not_found("user");
  call.reply(*user_json);
}

} // namespace auth
