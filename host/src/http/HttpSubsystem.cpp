// HttpSubsystem: see the header.
#include "http/HttpSubsystem.hpp"

#include "cache/CacheSubsystem.hpp"
#include "log/Log.hpp"
#include "plugins/PluginSubsystem.hpp"
#include "security/SecuritySubsystem.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/StringTokenizer.h>
#include <Poco/Util/Application.h>

#include <map>

namespace crm::http {

void HttpSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();

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
  std::map<std::string, RateLimit> limits{{"api", {6000, 1200}}, {"auth", {30, 0}}};
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
  services_.metrics = &metrics_;
  services_.readiness = [&storage, &cache] {
    return std::vector<DependencyCheck>{{"postgres", storage.postgres_ready(), true},
                                        {"redis", cache.redis().ping(), false}};
  };
  services_.max_body_bytes = static_cast<size_t>(config.getInt64("http.max_body_bytes", 1 << 20));
  services_.metrics_public = config.getBool("http.metrics_public", true);
  services_.log_requests = config.getBool("log.requests", false);

  ServerConfig sc;
  sc.host = config.getString("http.host", "127.0.0.1");
  sc.port = static_cast<unsigned short>(config.getInt("http.port", 8080));
  sc.max_threads = config.getInt("http.max_threads", 64);
  sc.max_queued = config.getInt("http.max_queued", 512);
  sc.keep_alive = config.getBool("http.keep_alive", true);
  sc.max_keep_alive_requests = config.getInt("http.max_keep_alive_requests", 0);
  sc.keep_alive_timeout_s = config.getInt("http.keep_alive_timeout", 15);
  server_ = std::make_unique<HttpServer>(sc, services_);
  server_->start();
  log::info("http", "listening on http://" + sc.host + ":" + std::to_string(server_->port()), {});
}

void HttpSubsystem::uninitialize() {
  if (!server_) return;
  log::info("http", "stopping: letting requests in flight finish", {});
  server_->stop();
  log::info("http", "stopped", {});
}

} // namespace crm::http
