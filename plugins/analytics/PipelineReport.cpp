// PipelineReport: GET /api/reports/pipeline (ADMIN everyone's, MANAGER its
// own and its team's requests) -> {items: [{status, currency, count,
// amount}]}: approvals by status and currency, from approval_totals. Every
// status has a row, with currency null and zeros when it has no approvals.
// The query is the function report_pipeline (ReportFunctions.hpp).
#include "Handlers.hpp"

#include <crm/sdk/owner_scope.hpp>

namespace analytics {

void pipeline_report(crm::Call& call) {
  auto rows = call.sql("select report_pipeline($1::uuid[])", {crm::OwnerScope::of(call).owners_array()});
  call.reply(crm::JsonObject().raw("items", *rows.at(0, 0)).str());
}

} // namespace analytics
