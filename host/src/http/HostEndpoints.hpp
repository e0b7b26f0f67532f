// HostEndpoints: the bodies of the host's own endpoints (/health/ready,
// /api/plugins), kept apart from the request pipeline.
#pragma once

#include "plugins/PluginRegistry.hpp"

#include <string>
#include <utility>
#include <vector>

namespace crm::http {

// {"status":"ok"|"unavailable","checks":{"postgres":"ok"|"down",...}}; ok is
// cleared when any check is down.
std::string readiness_json(const std::vector<std::pair<std::string, bool>>& checks, bool& ok);

// {"items":[{name, file, version, abi, status, operations, error}], "nextCursor": null}
std::string plugins_json(const plugins::PluginRegistry::Snapshot& snapshot);

} // namespace crm::http
