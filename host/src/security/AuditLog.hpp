// AuditLog: reads platform.audit_log for plugins (crm_host_api.audit_query).
// Writes happen in the mutating call's own transaction (see Invoker), so no
// change exists without its entry.
#pragma once

#include "http/Problem.hpp"
#include "storage/ConnectionPool.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace crm::security {

class AuditLog {
public:
  explicit AuditLog(storage::ConnectionPool& pool) : pool_(pool) {}

  struct Page {
    std::string json;                     // {"items": [...], "nextCursor": ...} when errors is empty
    std::vector<http::FieldError> errors; // a bad filter
  };
  // filter: {actorId, resource, action, outcome, from, to, limit, cursor}, all
  // optional. Newest first. Throws storage::PgError when PostgreSQL fails.
  Page query(std::string_view filter_json);

  // The INSERT the invoker runs in a mutating call's transaction; parameters:
  // actor_id, action, resource_id, outcome, client_ip, request_id, detail.
  static constexpr const char* kInsert =
      "insert into platform.audit_log (actor_id, action, resource_id, outcome, client_ip, request_id, detail) "
      "values ($1, $2, $3, $4, $5, $6, $7::jsonb)";

private:
  storage::ConnectionPool& pool_;
};

} // namespace crm::security
