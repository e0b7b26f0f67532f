// PrincipalHandler: the host's principal provider (CRM_OP_PRINCIPAL). For a
// verified token's {id, role} it tells what the token cannot: the user's
// email, name, whether it is still active, and for a MANAGER its team (every
// user below it, transitively). The host caches the answer until this plugin
// calls principal_changed().
//
// A token whose role is no longer the user's (an ADMIN demoted by PATCH) is
// answered "active": false, so the host refuses it at once instead of letting
// the old role act until the token expires; a refresh issues the new role.
#include "Handlers.hpp"

#include <crm/sdk/text_rules.hpp>

namespace auth {

void principal(crm::Call& call) {
  const auto& in = call.input();
  const auto id = in.text("id");
  if (!id || !crm::is_uuid(*id)) throw crm::not_found("user");
  const auto role = in.text("role");

  // The recursive part runs only for a MANAGER (the CASE reaches it lazily).
  auto rows = call.sql(R"sql(
    with recursive below (id) as (
      select id from users where manager_id = $1::uuid
      union
      select u.id from users u join below b on u.manager_id = b.id
    )
    select u.email, u.name, u.active and u.role = coalesce($2, u.role) as active,
           case when u.role = 'MANAGER'
                then coalesce((select json_agg(b.id order by b.id) from below b where b.id <> u.id), '[]'::json)
                else '[]'::json
           end as team
    from users u
    where u.id = $1::uuid)sql",
                       {*id, role});
  call.reply_first(rows, "user");
}

} // namespace auth
