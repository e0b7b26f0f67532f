// HttpServer: see the header.
#include "http/HttpServer.hpp"

#include "http/ApiRequestHandler.hpp"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace crm::http {

namespace {
class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
  explicit HandlerFactory(HttpServices& s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new ApiRequestHandler(s_);
  }

private:
  HttpServices& s_;
};
} // namespace

HttpServer::HttpServer(ServerConfig config, HttpServices& services) : config_(std::move(config)), services_(services) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto params = new Poco::Net::HTTPServerParams; // owned by the server (AutoPtr)
  params->setMaxThreads(config_.max_threads);
  params->setMaxQueued(config_.max_queued);
  params->setKeepAlive(config_.keep_alive);
  params->setMaxKeepAliveRequests(config_.max_keep_alive_requests);
  params->setKeepAliveTimeout(Poco::Timespan(config_.keep_alive_timeout_s, 0));
  params->setThreadIdleTime(Poco::Timespan(30, 0));
  params->setServerName("crm-host");

  // The default pool stops at 16 threads; the server may use max_threads.
  pool_ = std::make_unique<Poco::ThreadPool>("http", 4, config_.max_threads + 2, 60);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(config_.host, config_.port), 1024);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(services_), *pool_, socket, params);
  server_->start();
  running_ = true;
}

void HttpServer::stop() {
  if (!running_) return;
  running_ = false;
  // Lets each request in flight finish, then shuts its connection.
  server_->stopAll(false);
  pool_->joinAll();
}

unsigned short HttpServer::port() const { return server_ ? server_->port() : config_.port; }

} // namespace crm::http
