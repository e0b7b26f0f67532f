// HostEndpoints: the host's read-only platform operations - GET /health/live,
// /health/ready, /metrics (public unless http.metrics_public is false, then
// ADMIN), /api/openapi.json (public) and /api/plugins (ADMIN) - and the
// bodies they answer.
#pragma once

#include "metrics/PluginHealth.hpp"
#include "plugins/PluginRegistry.hpp"

#include <string>
#include <utility>
#include <vector>

namespace crm::http {

// One dependency for /health/ready. A required one down makes the host not
// ready (503); an optional one (Redis: the host degrades without it) only
// turns the status to "degraded".
struct DependencyCheck {
  std::string name;
  bool up = false;
  bool required = true;
};

// {"status":"ok"|"degraded"|"unavailable","checks":{"postgres":"ok"|"down",...}};
// ok is cleared when a required check is down.
std::string readiness_json(const std::vector<DependencyCheck>& checks, bool& ok);
// The same with the plugins' components (the "health" service) after the
// host's checks, never required; their details, when given, in
// "details":{"<component>":"<detail>"}.
std::string readiness_json(const std::vector<DependencyCheck>& checks,
                           const std::vector<metrics::PluginHealth::Component>& components, bool& ok);

// {"items":[{name, file, version, abi, status, operations, error}], "nextCursor": null}
std::string plugins_json(const plugins::PluginRegistry::Snapshot& snapshot);

} // namespace crm::http
