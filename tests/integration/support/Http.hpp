// Http: a keep-alive HTTP/1.1 client for 127.0.0.1:<port>, returning status,
// headers and body as plain values. One object per thread (not thread-safe).
// It may connect from another loopback address (127.0.0.2, ...: all of
// 127.0.0.0/8 is local on Linux), so a test can be two clients to the host.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/SocketImpl.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace itest {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Response {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header of that name (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (iequals(k, name)) return v;
    return std::nullopt;
  }
  bool has_header(std::string_view name) const { return header(name).has_value(); }
  std::string content_type() const { return header("Content-Type").value_or(""); }

  Poco::Dynamic::Var json_value() const {
    Poco::JSON::Parser parser;
    return parser.parse(body);
  }
  // The body as a JSON object; throws when it is not one.
  Poco::JSON::Object::Ptr json() const { return json_value().extract<Poco::JSON::Object::Ptr>(); }
};

// A client session whose every connection leaves from `source_ip` (empty:
// wherever the system picks).
class SourceBoundSession : public Poco::Net::HTTPClientSession {
public:
  SourceBoundSession(const std::string& host, int port, std::string source_ip)
      : Poco::Net::HTTPClientSession(host, static_cast<Poco::UInt16>(port)), source_ip_(std::move(source_ip)) {}

protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    // Binding first gives the socket its descriptor; connecting then uses it.
    if (!source_ip_.empty()) socket().impl()->bind(Poco::Net::SocketAddress(source_ip_, 0));
    Poco::Net::HTTPClientSession::connect(address);
  }

private:
  std::string source_ip_;
};

class Http {
public:
  explicit Http(int port, std::chrono::seconds timeout = std::chrono::seconds(20), std::string source_ip = {})
      : session_("127.0.0.1", port, std::move(source_ip)) {
    session_.setKeepAlive(true);
    session_.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
  }

  Response request(const std::string& method, const std::string& path, const std::string& body = "",
                   const Headers& headers = {}) {
    // A reused keep-alive connection the server has closed fails on first use:
    // that (and only that) is retried once on a fresh connection.
    const bool reused = used_;
    try {
      return send(method, path, body, headers);
    } catch (const Poco::Net::NoMessageException&) {
      if (!reused) throw;
    } catch (const Poco::Net::ConnectionResetException&) {
      if (!reused) throw;
    } catch (const Poco::Net::ConnectionAbortedException&) {
      if (!reused) throw;
    }
    session_.reset();
    return send(method, path, body, headers);
  }

  Response get(const std::string& path, const Headers& headers = {}) { return request("GET", path, "", headers); }
  Response post(const std::string& path, const std::string& body, const Headers& headers = {}) {
    return request("POST", path, body, headers);
  }

  // Drops the connection; the next request opens a new one.
  void reset() {
    session_.reset();
    used_ = false;
  }

private:
  Response send(const std::string& method, const std::string& path, const std::string& body, const Headers& headers) {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    bool has_content_type = false;
    for (const auto& [k, v] : headers) {
      req.add(k, v);
      if (iequals(k, "Content-Type")) has_content_type = true;
    }
    const bool sends_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (sends_body) {
      req.setContentLength(static_cast<std::streamsize>(body.size()));
      if (!has_content_type && !body.empty()) req.setContentType("application/json");
    }
    used_ = true;
    std::ostream& out = session_.sendRequest(req);
    if (sends_body) out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session_.receiveResponse(resp);
    Response r;
    r.status = static_cast<int>(resp.getStatus());
    for (const auto& [k, v] : resp) r.headers.emplace_back(k, v);
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
  }

  SourceBoundSession session_;
  bool used_ = false;
};

// One request on a fresh connection with a short timeout (probes, pollers).
inline std::optional<Response> try_request(int port, const std::string& method, const std::string& path,
                                           std::chrono::seconds timeout = std::chrono::seconds(2)) {
  try {
    Http http(port, timeout);
    return http.request(method, path);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace itest
