// HttpSubsystem: the REST gateway: response policy (security headers, CORS),
// token verification, /metrics, and the server itself. Started last and
// stopped first, so no request arrives before the plugins are ready or after
// they shut down.
#pragma once

#include "http/HttpServer.hpp"
#include "http/HttpServices.hpp"
#include "http/ResponsePolicy.hpp"
#include "metrics/Metrics.hpp"
#include "http/RateLimiter.hpp"

#include <Poco/Util/Subsystem.h>

#include <memory>

namespace crm::http {

class HttpSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "http"; }
  metrics::Registry& metrics() { return *metrics_; }
  unsigned short port() const { return server_ ? server_->port() : 0; }

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  void register_server_metrics(HttpServer& server);

  metrics::Registry* metrics_ = nullptr; // the metrics subsystem's
  std::unique_ptr<ResponsePolicy> policy_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  HttpServices services_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<NotificationStreams> streams_; // live push; outlives the server
  std::unique_ptr<PluginStreams> plugin_streams_; // the plugins' CRM_OP_STREAM routes; likewise
};

} // namespace crm::http
