// AuditLog: reads platform.audit_log for plugins (crm_host_api.audit_query).
// A plugin's writes happen in the mutating call's own transaction (see
// Invoker), so no change exists without its entry; the host's own actions
// (deploying a workflow, replaying a dead letter, ...) are written by write().
// A workflow's calls carry who it acted for: on_behalf_of (the user who
// started the instance) and workflow_instance_id.
#pragma once

#include "core/Problem.hpp"
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
    std::vector<core::FieldError> errors; // a bad filter
  };
  // filter: {actorId, resource, action, outcome, from, to, limit, cursor}, all
  // optional. Newest first. Throws storage::PgError when PostgreSQL fails.
  Page query(std::string_view filter_json);

  // The INSERT the invoker runs in a mutating call's transaction; parameters:
  // actor_id, action, resource_id, outcome, client_ip, request_id, detail,
  // on_behalf_of, workflow_instance_id.
  static constexpr const char* kInsert =
      "insert into platform.audit_log (actor_id, action, resource_id, outcome, client_ip, request_id, detail, "
      "on_behalf_of, workflow_instance_id) values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::uuid)";

  // One successful action of the host itself, by `actor`.
  struct Entry {
    std::string actor, action, resource_id, client_ip, request_id;
    std::string detail; // a JSON object, or empty
  };
  // Writes it on its own connection. Throws storage::PgError.
  void write(const Entry& entry);

private:
  storage::ConnectionPool& pool_;
};

} // namespace crm::security
