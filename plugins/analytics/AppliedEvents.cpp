// AppliedEvents: see the header.
#include "AppliedEvents.hpp"

namespace analytics {

void project_once(crm::Call& call, std::string_view statement) {
  const std::string_view envelope = call.input_json();
  try {
    auto claimed = call.sql("insert into applied_events (event_id) values (($1::jsonb ->> 'id')::uuid) "
                            "on conflict do nothing returning event_id",
                            {envelope});
    if (claimed.empty()) {
      call.reply(R"({"applied":false})");
      return;
    }
    call.sql(statement, {envelope});
  } catch (const crm::Error& e) {
    if (e.status() != CRM_E_CONFLICT) throw;
    throw crm::Error(CRM_E_UNAVAILABLE, "a concurrent change got in the way; the event will be applied on redelivery");
  }
  call.reply(R"({"applied":true})");
}

} // namespace analytics
