// HttpTransport: plain HTTP/1.1 requests to one server over one keep-alive
// connection (a --wait loop polls on it), with timeouts. It knows nothing of
// tokens or problems: every answer comes back as it is, and every failure to
// get one becomes UnreachableError naming the server.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/URI.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace crmctl {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  Headers headers;

  // The first header of that name (case-insensitive), "" when absent.
  std::string header(const std::string& name) const;
};

class HttpTransport {
public:
  // `server`: "http://host:port" with an optional base path. Throws
  // UsageError for a URL crmctl cannot use (https, no host).
  HttpTransport(const std::string& server, std::chrono::milliseconds timeout);

  // `target`: the path and query after the base path ("/api/auth/me").
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::string& content_type = {}, const Headers& headers = {});

  const std::string& server() const { return server_; }

private:
  HttpResponse exchange(const std::string& method, const std::string& target, const std::string& body,
                        const std::string& content_type, const Headers& headers);

  std::string server_;
  Poco::URI uri_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  bool used_ = false;
};

// "http://host:port" without a trailing slash; throws UsageError when `url`
// is not an http URL ("host:port" alone gets "http://").
std::string normalise_server(const std::string& url);

} // namespace crmctl
