// HostServices: the named service tables of plugin_services.h ("tokens",
// "audit", "principals", "workflows", "health") that a plugin fetches with
// get_service(), and the functions behind them. The core table's deprecated
// entries (ABI 1.1 to 1.3) point at the same functions, so an old plugin and
// a new one get the same behaviour.
#pragma once

#include <crm/plugin_services.h>

#include <cstddef>
#include <cstdint>

namespace crm::plugins {

// The table for `name` at major `version`, or nullptr; *size (if not null)
// receives its struct_size.
const void* host_service(const char* name, uint32_t version, size_t* size);

namespace services {
crm_status issue_access_token(crm_call* call, const char* subject, const char* role, const char** out,
                              size_t* out_len);
crm_status revoke_access_token(crm_call* call, const char* jti, int64_t expires_at);
crm_status audit_query(crm_call* call, const char* filter, size_t len, const char** out, size_t* out_len);
void principal_changed(crm_call* call, const char* subject);
void trigger_instance_id(const char* workflow, const char* event_id, char id_out[37]);
void report_health(const char* component, int up, const char* detail);
void set_gauge(const char* name, const char* help, const char* labels, double value);
void add_count(const char* name, const char* help, const char* labels, double delta);
} // namespace services

} // namespace crm::plugins
