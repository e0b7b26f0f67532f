// OpenApiDocument: GET /api/openapi.json, an OpenAPI 3.1 description built from
// the operations the loaded plugins declare (path templates, methods, roles,
// input schemas, success codes). Rebuilt when the plugin set changes.
#pragma once

#include "plugins/PluginRegistry.hpp"

#include <string>

namespace crm::http {

std::string openapi_json(const plugins::PluginRegistry::Snapshot& snapshot, const std::string& version);

} // namespace crm::http
