// Dashboard: GET /api/dashboard (any user, its own figures) ->
//   {customersOwned, newCustomersThisMonth, openTasks, overdueTasks,
//    upcomingMeetings (next 7 days), approvalsAwaitingMyDecision,
//    myPendingRequests, unreadNotifications}
// One query of indexed counts over the read-models and notifications: the
// function report_dashboard (ReportFunctions.hpp).
#include "Handlers.hpp"

#include <crm/sdk/text_rules.hpp>

namespace analytics {

void dashboard(crm::Call& call) {
  const auto who = call.principal();
  if (!crm::is_uuid(who.id)) throw crm::forbidden("the dashboard is a user's");
  auto rows = call.sql("select report_dashboard($1::uuid)", {crm::lower_ascii(who.id)});
  call.reply(*rows.at(0, 0));
}

} // namespace analytics
