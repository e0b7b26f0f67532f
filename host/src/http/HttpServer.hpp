// HttpServer: Poco's HTTPServer with its thread pool sized from configuration.
// Poco holds one worker thread per keep-alive connection, so max_threads is
// the number of concurrent connections served; the rest queue. stop() lets
// every request in flight finish, closes idle keep-alive connections, and
// returns when the workers are idle.
#pragma once

#include "http/HttpServices.hpp"

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>

#include <memory>
#include <string>

namespace crm::http {

struct ServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int max_threads = 64;
  int max_queued = 512;
  bool keep_alive = true;
  int max_keep_alive_requests = 0;
  int keep_alive_timeout_s = 15;
};

class HttpServer {
public:
  HttpServer(ServerConfig config, HttpServices& services);
  ~HttpServer();

  void start();
  void stop();
  unsigned short port() const;

private:
  ServerConfig config_;
  HttpServices& services_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  bool running_ = false;
};

} // namespace crm::http
