// AuditLogHandler: GET /api/auth/audit-logs (ADMIN). The audit log is the
// host's (platform.audit_log); this only passes the filter through.
#include "Handlers.hpp"

#include <crm/sdk/input_rules.hpp>

namespace auth {

// ?actorId=&resource=&action=&outcome=&from=&to=&limit=&cursor= -> {items, nextCursor}
void audit_logs(crm::Call& call) {
  const auto& in = call.input();
  crm::JsonObject filter;
  for (const char* key : {"actorId", "resource", "action", "outcome", "from", "to", "cursor"})
    if (auto value = in.text(key); value && !value->empty()) filter.field(key, std::string_view(*value));
  if (auto limit = crm::optional_integer(in, "limit")) {
    if (*limit < 1 || *limit > 200) throw crm::invalid("limit", "must be from 1 to 200");
    filter.field("limit", *limit);
  }
  if (auto actor = in.text("actorId"); actor && !actor->empty() && !crm::is_uuid(*actor))
    throw crm::invalid("actorId", "must be a UUID");
  call.reply(call.audit_query(filter.str()));
}

} // namespace auth
