// HostServices: see the header. What each function promises is written in
// plugin_services.h; this file only keeps it.
#include "plugins/HostServices.hpp"

#include "core/JsonText.hpp"
#include "plugins/Call.hpp"
#include "plugins/HostApi.hpp"
#include "plugins/Invoker.hpp"
#include "security/AuditLog.hpp"
#include "security/RevocationList.hpp"
#include "security/TokenVerifier.hpp"
#include "core/DerivedIds.hpp"
#include "log/Log.hpp"
#include "metrics/PluginHealth.hpp"

#include <Poco/UUIDGenerator.h>

#include <cstring>
#include <ctime>
#include <string>

namespace crm::plugins {

namespace services {

crm_status issue_access_token(crm_call* call, const char* subject, const char* role, const char** out,
                              size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!call || !subject || !role) return CRM_E_INTERNAL;
  const PlatformServices& ps = call->invoker->platform();
  if (!ps.tokens) return CRM_E_UNAVAILABLE;
  const std::string role_text(role);
  // The roles the token verifier accepts; a token it would refuse is no use.
  if (role_text != "ADMIN" && role_text != "MANAGER" && role_text != "SALES") {
    log_for(call, CRM_LOG_ERROR, "issue_access_token: unknown role " + role_text);
    return CRM_E_INTERNAL;
  }
  const std::string jti = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  const int ttl = ps.access_ttl_seconds;
  const std::string token = ps.tokens->sign(subject, role_text, ttl, jti);
  std::string json = "{\"accessToken\":";
  core::append_json_string(json, token);
  json += ",\"tokenType\":\"Bearer\",\"expiresIn\":" + std::to_string(ttl) + ",\"jti\":";
  core::append_json_string(json, jti);
  json += ",\"expiresAt\":" + std::to_string(static_cast<long long>(std::time(nullptr)) + ttl) + "}";
  const std::string& kept = call->keep(std::move(json));
  if (out) *out = kept.c_str();
  if (out_len) *out_len = kept.size();
  return CRM_OK;
}

crm_status revoke_access_token(crm_call* call, const char* jti, int64_t expires_at) {
  if (!call || !jti || !*jti) return CRM_E_INTERNAL;
  const PlatformServices& ps = call->invoker->platform();
  if (!ps.revocations) return CRM_E_UNAVAILABLE;
  try {
    ps.revocations->revoke(jti, expires_at);
    return CRM_OK;
  } catch (const std::exception& e) {
    log_for(call, CRM_LOG_ERROR, std::string("revoke_access_token: ") + e.what());
    return CRM_E_UNAVAILABLE;
  }
}

crm_status audit_query(crm_call* call, const char* filter, size_t len, const char** out, size_t* out_len) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!call) return CRM_E_INTERNAL;
  const PlatformServices& ps = call->invoker->platform();
  if (!ps.audit) return CRM_E_UNAVAILABLE;
  std::string json;
  try {
    auto page = ps.audit->query(std::string_view(filter ? filter : "{}", filter ? len : 2));
    if (!page.errors.empty()) {
      for (auto& e : page.errors) call->errors.push_back(std::move(e));
      record_failure(call, CRM_E_INVALID, "the filter is not valid");
      return CRM_E_INVALID;
    }
    json = std::move(page.json);
  } catch (const std::exception& e) {
    log_for(call, CRM_LOG_WARN, std::string("audit_query: ") + e.what());
    return CRM_E_UNAVAILABLE;
  }
  const std::string& kept = call->keep(std::move(json));
  if (out) *out = kept.c_str();
  if (out_len) *out_len = kept.size();
  return CRM_OK;
}

void principal_changed(crm_call* call, const char* subject) {
  if (!call) return;
  call->principals_changed.emplace_back(subject ? subject : "");
}

void trigger_instance_id(const char* workflow, const char* event_id, char id_out[37]) {
  if (!id_out) return;
  const std::string id = core::trigger_instance_id(workflow ? workflow : "", event_id ? event_id : "");
  std::memcpy(id_out, id.c_str(), id.size() + 1);
}

// The "health" service: no call, so the state is the process's (PluginHealth).
// A refused name or label set is logged, never fatal: a metric must not break
// the call that sets it.
void report_health(const char* component, int up, const char* detail) {
  if (!metrics::PluginHealth::instance().report(component ? component : "", up != 0, detail ? detail : ""))
    log::warn("plugins", "health report refused: the component must be named <plugin>.<part>",
              {{"component", component ? component : ""}});
}

void set_gauge(const char* name, const char* help, const char* labels, double value) {
  if (!metrics::PluginHealth::instance().gauge(name ? name : "", help ? help : "", labels ? labels : "", value))
    log::warn("plugins", "gauge refused: bad name or labels, or a counter of that name",
              {{"name", name ? name : ""}, {"labels", labels ? labels : ""}});
}

void add_count(const char* name, const char* help, const char* labels, double delta) {
  if (!metrics::PluginHealth::instance().count(name ? name : "", help ? help : "", labels ? labels : "", delta))
    log::warn("plugins", "counter refused: bad name, labels or delta, or a gauge of that name",
              {{"name", name ? name : ""}, {"labels", labels ? labels : ""}});
}

} // namespace services

namespace {

const crm_tokens_service kTokens = {
    .version = CRM_SERVICE_TOKENS_VERSION,
    .struct_size = sizeof(crm_tokens_service),
    .issue_access_token = services::issue_access_token,
    .revoke_access_token = services::revoke_access_token,
};

const crm_audit_service kAudit = {
    .version = CRM_SERVICE_AUDIT_VERSION,
    .struct_size = sizeof(crm_audit_service),
    .audit_query = services::audit_query,
};

const crm_principals_service kPrincipals = {
    .version = CRM_SERVICE_PRINCIPALS_VERSION,
    .struct_size = sizeof(crm_principals_service),
    .principal_changed = services::principal_changed,
};

const crm_workflows_service kWorkflows = {
    .version = CRM_SERVICE_WORKFLOWS_VERSION,
    .struct_size = sizeof(crm_workflows_service),
    .trigger_instance_id = services::trigger_instance_id,
};

const crm_health_service kHealth = {
    .version = CRM_SERVICE_HEALTH_VERSION,
    .struct_size = sizeof(crm_health_service),
    .report = services::report_health,
    .gauge = services::set_gauge,
    .count = services::add_count,
};

struct NamedService {
  const char* name;
  uint32_t version;
  const void* table;
  size_t size;
};

const NamedService kServices[] = {
    {CRM_SERVICE_TOKENS, CRM_SERVICE_TOKENS_VERSION, &kTokens, sizeof kTokens},
    {CRM_SERVICE_AUDIT, CRM_SERVICE_AUDIT_VERSION, &kAudit, sizeof kAudit},
    {CRM_SERVICE_PRINCIPALS, CRM_SERVICE_PRINCIPALS_VERSION, &kPrincipals, sizeof kPrincipals},
    {CRM_SERVICE_WORKFLOWS, CRM_SERVICE_WORKFLOWS_VERSION, &kWorkflows, sizeof kWorkflows},
    {CRM_SERVICE_HEALTH, CRM_SERVICE_HEALTH_VERSION, &kHealth, sizeof kHealth},
};

} // namespace

const void* host_service(const char* name, uint32_t version, size_t* size) {
  if (size) *size = 0;
  if (!name) return nullptr;
  for (const auto& s : kServices)
    if (s.version == version && std::strcmp(s.name, name) == 0) {
      if (size) *size = s.size;
      return s.table;
    }
  return nullptr;
}

} // namespace crm::plugins
