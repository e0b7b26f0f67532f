// HttpServices: what the request handler needs from the rest of the host,
// gathered once at start and shared (read-only) by every worker thread.
#pragma once

#include "http/ResponsePolicy.hpp"
#include "metrics/Metrics.hpp"
#include "plugins/Invoker.hpp"
#include "plugins/PluginRegistry.hpp"
#include "events/DeadLetters.hpp"
#include "http/HostEndpoints.hpp"
#include "http/NotificationStreams.hpp"
#include "http/PluginStreams.hpp"
#include "events/ReadModelRebuilds.hpp"
#include "http/RateLimiter.hpp"
#include "security/PrincipalCache.hpp"
#include "security/TokenVerifier.hpp"
#include "workflows/WorkflowCatalog.hpp"
#include "workflows/WorkflowEngine.hpp"

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace crm::http {

// The dependencies' states for /health/ready.
using ReadinessCheck = std::function<std::vector<DependencyCheck>()>;

struct HttpServices {
  plugins::PluginRegistry* registry = nullptr;
  plugins::Invoker* invoker = nullptr;
  security::TokenVerifier* tokens = nullptr;
  security::PrincipalCache* principals = nullptr; // null: principals are the token's claims only
  RateLimiter* rate_limiter = nullptr;            // null: no limits
  events::DeadLetters* dead_letters = nullptr;
  workflows::WorkflowCatalog* workflows = nullptr;
  workflows::WorkflowEngine* engine = nullptr;
  NotificationStreams* streams = nullptr;       // null: no live push on this host
  PluginStreams* plugin_streams = nullptr;      // null: CRM_OP_STREAM routes answer 503
  events::ReadModelRebuilds* rebuilds = nullptr;
  const ResponsePolicy* policy = nullptr;
  metrics::Registry* metrics = nullptr;
  ReadinessCheck readiness;
  size_t max_body_bytes = 1 << 20;
  bool metrics_public = true;
  bool log_requests = false;
  std::atomic<long> in_flight{0};
};

} // namespace crm::http
