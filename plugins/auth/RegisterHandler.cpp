// RegisterHandler: POST /api/auth/register {email, password, name, role?,
// managerId?} -> 201 user. An ADMIN registers anyone with any role. Without
// an ADMIN token, registration is open only when plugin.auth.self_register is
// "true", and then only as SALES with no manager.
#include "Handlers.hpp"

#include "Settings.hpp"
#include "UserCreation.hpp"

#include <crm/sdk/input_rules.hpp>

namespace auth {

void register_user(crm::Call& call) {
  const auto caller = call.principal();
  const auto& in = call.input();

  NewUser user;
  if (caller.is("ADMIN")) {
    user.role = in.text("role").value_or("SALES");
    user.manager_id = crm::optional_uuid(in, "managerId");
  } else if (settings().self_register) {
    user.role = "SALES"; // whatever was asked for
    if (in.has("managerId")) throw crm::invalid("managerId", "only an ADMIN may choose a manager");
  } else if (caller.anonymous()) {
    throw crm::unauthenticated("sign in as an ADMIN to register users");
  } else {
    throw crm::forbidden("only an ADMIN may register users");
  }
  user.email = crm::lower_ascii(in.required_text("email"));
  user.name = in.required_text("name");
  user.password = in.required_text("password");

  call.reply(create_user(call, user));
  // The new user joins its manager's team and the teams above it.
  if (user.manager_id) call.principal_changed();
}

} // namespace auth
