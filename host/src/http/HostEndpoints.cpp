// HostEndpoints: see the header.
#include "http/HostEndpoints.hpp"

#include "http/HttpServices.hpp"
#include "core/JsonText.hpp"
#include "http/OpenApiDocument.hpp"
#include "http/PlatformOperations.hpp"
#include "metrics/PluginHealth.hpp"

namespace crm::http {

std::string readiness_json(const std::vector<DependencyCheck>& checks, bool& ok) {
  return readiness_json(checks, {}, ok);
}

std::string readiness_json(const std::vector<DependencyCheck>& host_checks,
                           const std::vector<metrics::PluginHealth::Component>& components, bool& ok) {
  std::vector<DependencyCheck> checks = host_checks;
  std::string details;
  for (const auto& c : components) {
    checks.push_back(DependencyCheck{c.name, c.up, false}); // a plugin's part is never required
    if (c.detail.empty()) continue;
    details += details.empty() ? "{" : ",";
    core::append_json_string(details, c.name);
    details += ':';
    core::append_json_string(details, c.detail);
  }
  bool degraded = false;
  std::string checks_json = "{";
  for (size_t i = 0; i < checks.size(); ++i) {
    if (i) checks_json += ',';
    core::append_json_string(checks_json, checks[i].name);
    checks_json += checks[i].up ? ":\"ok\"" : ":\"down\"";
    if (!checks[i].up) (checks[i].required ? ok : degraded) = checks[i].required ? false : true;
  }
  checks_json += '}';
  const char* status = !ok ? "unavailable" : degraded ? "degraded" : "ok";
  std::string out = std::string("{\"status\":\"") + status + "\",\"checks\":" + checks_json;
  if (!details.empty()) out += ",\"details\":" + details + "}";
  return out + "}";
}

namespace {
std::string abi_text(uint32_t abi) { return std::to_string(abi >> 16) + "." + std::to_string(abi & 0xffff); }
} // namespace

std::string plugins_json(const plugins::PluginRegistry::Snapshot& snapshot) {
  std::string out = "{\"items\":[";
  bool first = true;
  for (const auto& p : snapshot.plugins) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":" + core::json_string(p->name) + ",\"file\":" + core::json_string(p->file) +
           ",\"version\":" + core::json_string(p->version) + ",\"abi\":" + core::json_string(abi_text(p->abi)) +
           ",\"status\":\"LOADED\",\"description\":" + core::json_string(p->description) + ",\"operations\":[";
    for (size_t i = 0; i < p->operations.size(); ++i) {
      if (i) out += ',';
      core::append_json_string(out, p->operations[i]->name);
    }
    out += "],\"error\":null}";
  }
  for (const auto& r : snapshot.refused) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":" + (r.name.empty() ? std::string("null") : core::json_string(r.name)) +
           ",\"file\":" + core::json_string(r.file) + ",\"version\":" + (r.version.empty() ? "null" : core::json_string(r.version)) +
           ",\"abi\":" + (r.abi ? core::json_string(abi_text(r.abi)) : "null") +
           ",\"status\":\"REFUSED\",\"operations\":[],\"error\":" + core::json_string(r.error) + "}";
  }
  out += "],\"nextCursor\":null}";
  return out;
}

void add_host_operations(plugins::PluginInstance& part, HttpServices& s) {
  // Probes and scrapes come often from one address: they have their own
  // rate class, so they never use up the API's limit (nor it theirs).
  HostOperation live{"platform.health_live", "GET", "/health/live", "public", "Whether the host process answers"};
  live.rate_class = "probe";
  declare(part, live, [](plugins::HostCall& call) { call.reply = R"({"status":"ok"})"; });
  HostOperation ready{"platform.health_ready", "GET", "/health/ready", "public",
                      "Whether the host can serve: its dependencies' states (503 when PostgreSQL is down) "
                      "and the plugins' components (never required)"};
  ready.rate_class = "probe";
  declare(part, ready,
          [&s](plugins::HostCall& call) {
            bool ok = true;
            call.reply = readiness_json(s.readiness ? s.readiness() : std::vector<DependencyCheck>{},
                                        metrics::PluginHealth::instance().components(), ok);
            call.status = ok ? 200 : 503;
          });
  HostOperation metrics{"platform.metrics", "GET", "/metrics", s.metrics_public ? "public" : "ADMIN",
                        "Prometheus metrics of this host"};
  metrics.rate_class = "probe";
  declare(part, metrics,
          [&s](plugins::HostCall& call) {
            call.content_type_out = "text/plain; version=0.0.4; charset=utf-8";
            call.reply = s.metrics->render() + metrics::PluginHealth::instance().render();
          });
  declare(part, {"platform.openapi", "GET", "/api/openapi.json", "public", "This API as an OpenAPI 3.1 document"},
          [&s](plugins::HostCall& call) { call.reply = openapi_json(*s.registry->snapshot(), CRM_VERSION); });
  declare(part, {"platform.plugins_list", "GET", "/api/plugins", "ADMIN", "The plugins loaded and refused"},
          [&s](plugins::HostCall& call) { call.reply = plugins_json(*s.registry->snapshot()); });
}

} // namespace crm::http
