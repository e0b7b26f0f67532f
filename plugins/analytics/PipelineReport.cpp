// PipelineReport: GET /api/reports/pipeline (ADMIN everyone's, MANAGER its
// own and its team's requests) -> {items: [{status, currency, count,
// amount}]}: approvals by status and currency, from approval_totals. Every
// status has a row, with currency null and zeros when it has no approvals.
#include "Handlers.hpp"

#include "ReportScope.hpp"

namespace analytics {

void pipeline_report(crm::Call& call) {
  auto rows = call.sql(R"sql(
    with statuses (status, position) as (
      values ('PENDING', 1), ('APPROVED', 2), ('REJECTED', 3), ('CANCELLED', 4)),
    totals as (
      select t.status, t.currency, sum(t.approvals) as approvals, sum(t.amount) as amount
      from approval_totals t
      where ($1::uuid[] is null or t.requester_id = any ($1::uuid[]))
      group by t.status, t.currency
      having sum(t.approvals) <> 0)
    select coalesce(json_agg(json_build_object(
             'status', s.status,
             'currency', nullif(t.currency, ''),
             'count', coalesce(t.approvals, 0),
             'amount', coalesce(t.amount, 0))
           order by s.position, t.currency), '[]')
    from statuses s left join totals t on t.status = s.status)sql",
                       {report_scope(call.principal())});
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

} // namespace analytics
