// HttpSubsystem: see the header.
#include "http/HttpSubsystem.hpp"

#include "cache/CacheSubsystem.hpp"
#include "events/EventsSubsystem.hpp"
#include "http/PlatformOperations.hpp"
#include "log/Log.hpp"
#include "metrics/MetricsSubsystem.hpp"
#include "plugins/PluginSubsystem.hpp"
#include "security/SecuritySubsystem.hpp"
#include "workflows/WorkflowsSubsystem.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/Exception.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/Application.h>

#include <map>

namespace crm::http {

void HttpSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  metrics_ = &app.getSubsystem<metrics::MetricsSubsystem>().registry();

  ResponsePolicyConfig rp;
  Poco::StringTokenizer origins(config.getString("http.cors.allowed_origins", ""), ",",
                                Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  rp.allowed_origins.assign(origins.begin(), origins.end());
  rp.hsts_max_age = config.getInt("http.hsts_max_age", 0);
  policy_ = std::make_unique<ResponsePolicy>(rp);

  auto& plugins = app.getSubsystem<plugins::PluginSubsystem>();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  auto& security = app.getSubsystem<security::SecuritySubsystem>();
  auto& cache = app.getSubsystem<cache::CacheSubsystem>();

  // ratelimit.<class>.per_ip / per_user, requests per minute, 0: none.
  std::map<std::string, RateLimit> limits{{"api", {6000, 1200}}, {"auth", {30, 0}}, {"probe", {0, 0}}};
  Poco::Util::AbstractConfiguration::Keys classes;
  config.keys("ratelimit", classes);
  for (const auto& c : classes) limits[c] = RateLimit{};
  for (auto& [name, limit] : limits) {
    limit.per_ip = config.getInt64("ratelimit." + name + ".per_ip", limit.per_ip);
    limit.per_user = config.getInt64("ratelimit." + name + ".per_user", limit.per_user);
  }
  rate_limiter_ = std::make_unique<RateLimiter>(cache.counters(), std::move(limits));

  services_.registry = &plugins.registry();
  services_.invoker = &plugins.invoker();
  services_.tokens = &security.tokens();
  services_.principals = &security.principals();
  services_.rate_limiter = rate_limiter_.get();
  services_.policy = policy_.get();
  services_.metrics = metrics_;
  auto& events = app.getSubsystem<events::EventsSubsystem>();
  services_.readiness = [&storage, &cache, &events] {
    // NATS and Redis down degrade the host (events wait, the cache misses);
    // only PostgreSQL down makes it unable to serve.
    return std::vector<DependencyCheck>{{"postgres", storage.postgres_ready(), true},
                                        {"nats", events.nats().connected(), false},
                                        {"redis", cache.redis().ping(), false}};
  };
  services_.dead_letters = &events.dead_letters();
  services_.rebuilds = &events.rebuilds();
  StreamsConfig stc;
  stc.max_streams = static_cast<size_t>(config.getInt("http.streams.max", 10000));
  stc.max_per_user = static_cast<size_t>(config.getInt("http.streams.max_per_user", 16));
  stc.ping_seconds = config.getInt("http.streams.ping_seconds", 25);
  streams_ = std::make_unique<NotificationStreams>(stc);
  plugin_streams_ = std::make_unique<PluginStreams>(stc, plugins.invoker());
  streams_->feed_from(events.nats());
  // The one observer of sessions ending tells the plugins' streams too.
  streams_->also_tell([streams = plugin_streams_.get(), principals = &security.principals()](
                          const std::vector<std::string>& jtis, const std::vector<std::string>& users) {
    streams->end_sessions(jtis, users, principals->enabled() ? principals : nullptr);
  });
  streams_->watch(security.revocations(), security.principals());
  services_.streams = streams_.get();
  metrics_->add_gauge_callback("crm_notification_streams", "Open notification streams (WebSockets) on this host.",
                              [streams = streams_.get()] {
                                return std::vector<std::pair<metrics::Labels, double>>{
                                    {{}, static_cast<double>(streams->open_streams())}};
                              });
  metrics_->add_gauge_callback("crm_notifications_pushed", "Notifications this host pushed to open streams.",
                              [streams = streams_.get()] {
                                return std::vector<std::pair<metrics::Labels, double>>{
                                    {{}, static_cast<double>(streams->pushed())}};
                              });
  plugin_streams_->feed_from(events.nats());
  services_.plugin_streams = plugin_streams_.get();
  metrics_->add_gauge_callback("crm_plugin_streams", "Open plugin streams (CRM_OP_STREAM routes) on this host.",
                              [streams = plugin_streams_.get()] {
                                return std::vector<std::pair<metrics::Labels, double>>{
                                    {{}, static_cast<double>(streams->open_streams())}};
                              });
  metrics_->add_gauge_callback("crm_plugin_stream_frames", "Frames this host sent on plugin streams.",
                              [streams = plugin_streams_.get()] {
                                return std::vector<std::pair<metrics::Labels, double>>{
                                    {{}, static_cast<double>(streams->pushed())}};
                              });
  auto& workflows = app.getSubsystem<workflows::WorkflowsSubsystem>();
  services_.workflows = &workflows.catalog();
  services_.engine = &workflows.engine();
  services_.metrics_public = config.getBool("http.metrics_public", true);
  services_.log_requests = config.getBool("log.requests", false);

  // The host's own endpoints join the plugins' routes before the first request.
  if (auto clash = plugins.registry().admit_platform(platform_operations(services_)))
    throw Poco::IllegalStateException("the host's own routes cannot be registered: " + *clash);

  services_.max_body_bytes = static_cast<size_t>(config.getInt64("http.max_body_bytes", 1 << 20));
  ServerConfig sc;
  sc.host = config.getString("http.host", "127.0.0.1");
  sc.port = static_cast<unsigned short>(config.getInt("http.port", 8080));
  sc.workers = config.getInt("http.max_threads", 64);
  sc.max_queued = static_cast<size_t>(config.getInt("http.max_queued", 512));
  sc.retry_after_s = config.getInt("http.retry_after", 1);
  sc.keep_alive = config.getBool("http.keep_alive", true);
  sc.max_keep_alive_requests = config.getInt("http.max_keep_alive_requests", 0);
  sc.keep_alive_timeout_s = config.getDouble("http.keep_alive_timeout", 30);
  sc.header_timeout_s = config.getDouble("http.header_timeout", 10);
  sc.body_timeout_s = config.getDouble("http.body_timeout", 60);
  sc.body_min_rate = static_cast<size_t>(config.getInt64("http.body_min_rate", 1024));
  sc.write_timeout_s = config.getDouble("http.write_timeout", 30);
  sc.shutdown_timeout_s = config.getDouble("http.shutdown_timeout", 10);
  sc.limits.max_request_line = static_cast<size_t>(config.getInt64("http.max_request_line", 8192));
  sc.limits.max_header_bytes = static_cast<size_t>(config.getInt64("http.max_header_bytes", 16384));
  sc.limits.max_body_bytes = services_.max_body_bytes;
  sc.max_connections = static_cast<size_t>(config.getInt64("http.max_connections", 10000));
  sc.max_connections_per_address = static_cast<size_t>(config.getInt64("http.max_connections_per_address", 256));
  sc.trusted_proxies = TrustedProxies::parse(config.getString("http.trusted_proxies", ""));
  const std::string host = sc.host;
  server_ = std::make_unique<HttpServer>(std::move(sc), services_);
  server_->start();
  register_server_metrics(*server_);
  log::info("http", "listening on http://" + host + ":" + std::to_string(server_->port()), {});
}

void HttpSubsystem::register_server_metrics(HttpServer& server) {
  using Samples = std::vector<std::pair<metrics::Labels, double>>;
  metrics_->add_gauge_callback("crm_http_connections_open", "Client connections open on this host.", [&server] {
    return Samples{{{}, static_cast<double>(server.stats().open)}};
  });
  metrics_->add_gauge_callback("crm_http_connections_refused",
                              "Connections closed at accept, by cause (max_connections, max_per_address, fd_limit).",
                              [&server] {
                                Samples out;
                                for (const auto& [cause, n] : server.stats().refused)
                                  out.push_back({{{"cause", cause}}, static_cast<double>(n)});
                                return out;
                              });
  metrics_->add_gauge_callback("crm_http_requests_rejected",
                              "Requests the front door refused itself, by status (400, 408, 413, 414, 431, 503...).",
                              [&server] {
                                Samples out;
                                for (const auto& [status, n] : server.stats().rejected)
                                  out.push_back({{{"status", std::to_string(status)}}, static_cast<double>(n)});
                                return out;
                              });
  metrics_->add_gauge_callback("crm_http_queue_depth", "Complete requests waiting for a worker.", [&server] {
    return Samples{{{}, static_cast<double>(server.stats().queued)}};
  });
  metrics_->add_gauge_callback("crm_http_workers_busy", "Workers serving a request now.", [&server] {
    return Samples{{{}, static_cast<double>(server.stats().workers_busy)}};
  });
  metrics_->add_gauge_callback("crm_http_workers", "Worker threads.", [&server] {
    return Samples{{{}, static_cast<double>(server.stats().workers)}};
  });
}

void HttpSubsystem::uninitialize() {
  if (server_) {
    log::info("http", "stopping: letting requests in flight finish", {});
    server_->stop();
    log::info("http", "stopped", {});
  }
  streams_.reset(); // tells the clients of open streams we are going away (first: it calls plugin_streams_)
  plugin_streams_.reset();
  // Its last flush needs the counters, which the cache subsystem (stopped
  // after this one) still holds.
  rate_limiter_.reset();
}

} // namespace crm::http
