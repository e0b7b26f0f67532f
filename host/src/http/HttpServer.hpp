// HttpServer: the host's HTTP server, a FrontDoor (reactor reading requests
// without a thread per connection) whose workers run ApiRequestHandler on
// each complete request. Errors the front door answers itself (malformed or
// oversized requests, deadlines, a full queue) are problem+json replies with
// the same security headers and request id as every other reply.
#pragma once

#include "http/FrontDoor.hpp"
#include "http/HttpServices.hpp"

#include <memory>
#include <string>

namespace crm::http {

using ServerConfig = FrontDoorConfig;

class HttpServer {
public:
  HttpServer(ServerConfig config, HttpServices& services);
  ~HttpServer();

  void start();
  // Stops accepting, lets requests in flight finish (up to the shutdown
  // timeout), closes every connection.
  void stop();
  unsigned short port() const;
  FrontDoor::Stats stats() const { return door_.stats(); }

private:
  std::string error_reply(int status, const std::string& detail, const Poco::Net::HTTPRequest* head,
                          int retry_after_s) const;

  HttpServices& services_;
  FrontDoor door_;
  bool running_ = false;
};

} // namespace crm::http
