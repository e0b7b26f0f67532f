// PlatformOperations: the host's own endpoints declared as the operations of a
// built-in `platform` part, so they take the plugins' path: the router, the
// principal re-checked through the principal provider, the role check, the
// rate limit, the input schema, the audit entry with the acting user and the
// metrics label. Each area declares its own in the file that handles it.
#pragma once

#include "plugins/Operation.hpp"

#include <memory>

namespace crm::http {

struct HttpServices;

// Every built-in operation, bound to `services` (which must outlive them).
// Throws std::logic_error on a malformed declaration (a host bug).
std::shared_ptr<plugins::PluginInstance> platform_operations(HttpServices& services);

// One built-in operation's declaration.
struct HostOperation {
  const char* name;   // "platform.<what>_<verb>": the audit action and the metrics label
  const char* method;
  const char* path;
  const char* roles;  // as a plugin declares them: "ADMIN", "*", "public"
  const char* summary;
  const char* input_schema = nullptr; // JSON Schema of the input (query, body fields, path parameters)
  int status = 200;
  bool read_only = true; // false: a successful call is audited
  bool raw_body = false; // the body is handed over as it came (not JSON input)
  const char* rate_class = "api"; // "probe" for health and metrics (ratelimit.probe.*, none by default)
};
void declare(plugins::PluginInstance& part, const HostOperation& spec, plugins::HostHandler handler);

// Per area (HostEndpoints.cpp, WorkflowRoutes.cpp, DeadLetterRoutes.cpp, RebuildRoutes.cpp).
void add_host_operations(plugins::PluginInstance& part, HttpServices& services);
void add_workflow_operations(plugins::PluginInstance& part, HttpServices& services);
void add_saga_operations(plugins::PluginInstance& part, HttpServices& services);
void add_dead_letter_operations(plugins::PluginInstance& part, HttpServices& services);
void add_rebuild_operations(plugins::PluginInstance& part, HttpServices& services);

} // namespace crm::http
