// Dashboard: GET /api/dashboard (any user, its own figures) ->
//   {customersOwned, newCustomersThisMonth, openTasks, overdueTasks,
//    upcomingMeetings (next 7 days), approvalsAwaitingMyDecision,
//    myPendingRequests, unreadNotifications}
// One query of indexed counts over the read-models and notifications.
#include "Handlers.hpp"

#include "InputRules.hpp"

namespace analytics {

void dashboard(crm::Call& call) {
  const auto who = call.principal();
  if (!is_uuid(who.id)) throw crm::forbidden("the dashboard is a user's");
  auto rows = call.sql(R"sql(
    select json_build_object(
      'customersOwned', (select count(*) from customers c where c.owner_id = $1::uuid and not c.deleted),
      'newCustomersThisMonth', (select coalesce(sum(s.customers), 0) from daily_user_stats s
                                where s.user_id = $1::uuid and s.day >= date_trunc('month', utc_day(now()))::date),
      'openTasks', (select count(*) from tasks t where t.assignee_id = $1::uuid and t.completed_at is null),
      'overdueTasks', (select count(*) from tasks t
                       where t.assignee_id = $1::uuid and t.completed_at is null and t.due_at < now()),
      'upcomingMeetings', (select count(*) from meetings m
                           where m.owner_id = $1::uuid and m.scheduled_at >= now()
                             and m.scheduled_at < now() + interval '7 days'),
      'approvalsAwaitingMyDecision', (select count(*) from approvals a
                                      where a.current_approver_id = $1::uuid and a.status = 'PENDING'),
      'myPendingRequests', (select count(*) from approvals a where a.requester_id = $1::uuid and a.status = 'PENDING'),
      'unreadNotifications', (select count(*) from notifications n
                              where n.user_id = $1::uuid and n.read_at is null and n.archived_at is null)))sql",
                       {lower_ascii(who.id)});
  call.reply(*rows.at(0, 0));
}

} // namespace analytics
