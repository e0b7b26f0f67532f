// HttpTransport: plain HTTP/1.1 requests to one server over one keep-alive
// connection (a --wait loop polls on it), with a deadline on every step. It
// knows nothing of tokens or problems: every answer comes back as it is, and
// every failure to get one becomes UnreachableError naming the server.
//
// Written on POSIX sockets rather than Poco::Net for start-up time (see
// Json.hpp): crmctl talks to one kind of server, over loopback or a LAN, and
// needs only requests with a body and answers by length, chunks or close.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
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
  std::string header(std::string_view name) const;
};

// A server URL taken apart: http://host:port/base.
struct ServerUrl {
  std::string host; // without the brackets of an IPv6 literal
  std::string port; // "80" when not given
  std::string base; // "" or "/base" (no trailing slash)
};

// "http://host:port" without a trailing slash; throws UsageError when `url`
// is not an http URL ("host:port" alone gets "http://").
std::string normalise_server(const std::string& url);
ServerUrl parse_server(const std::string& normalised);

class HttpTransport {
public:
  // `server`: "http://host:port" with an optional base path. Throws
  // UsageError for a URL crmctl cannot use (https, no host).
  HttpTransport(const std::string& server, std::chrono::milliseconds timeout);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // `target`: the path and query after the base path ("/api/auth/me").
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::string& content_type = {}, const Headers& headers = {});

  // A GET whose answer body is a stream (Server-Sent Events): on 2xx, each
  // piece of the body is handed to `on_body` as it arrives (chunked encoding
  // already decoded) until the server ends it or `on_body` returns false;
  // returns the head with an empty body. Any other status returns the whole
  // answer as send() does. `idle` bounds the silence between two pieces (the
  // server pings); the connection is closed afterwards either way.
  HttpResponse stream(const std::string& target, const Headers& headers,
                      const std::function<bool(std::string_view)>& on_body, std::chrono::milliseconds idle);

  const std::string& server() const { return server_; }

private:
  void connect_socket();
  void close_socket();
  HttpResponse exchange(const std::string& request);

  std::string server_;
  ServerUrl url_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string pending_; // bytes read past the previous answer (none, normally)
};

// Parts of reading an answer, kept apart to be tested without a server.
namespace http_detail {

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n..." (without the blank line).
// Returns false when it is not an HTTP response head.
bool parse_head(std::string_view head, int& status, Headers& headers);

// Decodes a complete chunked body; false while `raw` holds less than the
// terminating chunk (or is malformed: `bad` is then set).
bool decode_chunked(std::string_view raw, std::string& body, bool& bad);

// Chunked encoding decoded as it arrives: feed() takes the next bytes and
// appends what they complete to `out`; done() after the last chunk; bad()
// when the framing is broken.
class ChunkedDecoder {
public:
  void feed(std::string_view bytes, std::string& out);
  bool done() const { return state_ == State::Done; }
  bool bad() const { return state_ == State::Bad; }

private:
  enum class State { Size, Data, DataEnd, Trailer, Done, Bad };
  State state_ = State::Size;
  std::string line_;
  size_t left_ = 0;
};

} // namespace http_detail

} // namespace crmctl
