// StreamClient: a WebSocket client of GET /api/notifications/stream (or of a
// plugin's stream route), as a browser would hold one: connect with a token,
// wait for the "ready" frame, then read pushed frames with a deadline.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace itest {

class StreamClient {
public:
  enum class TokenVia { Query, Subprotocol, Header };

  // Throws Poco::Net::WebSocketException when the host refuses the upgrade;
  // then status() of a fresh attempt tells why (see refusal()).
  StreamClient(int port, const std::string& token, TokenVia via = TokenVia::Query)
      : StreamClient(port, token, via, "/api/notifications/stream") {}
  // The same on another stream's path (a plugin's CRM_OP_STREAM route).
  StreamClient(int port, const std::string& token, TokenVia via, std::string path) : session_("127.0.0.1", port) {
    if (via == TokenVia::Query) path += (path.find('?') == std::string::npos ? "?" : "&") + ("access_token=" + token);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (via == TokenVia::Subprotocol) request.set("Sec-WebSocket-Protocol", "access_token, " + token);
    if (via == TokenVia::Header) request.set("Authorization", "Bearer " + token);
    ws_ = std::make_unique<Poco::Net::WebSocket>(session_, request, response_);
    ws_->setReceiveTimeout(Poco::Timespan(5, 0));
  }

  const Poco::Net::HTTPResponse& handshake() const { return response_; }

  // The next text frame as JSON, or nullopt when none comes within `timeout`
  // (or the host closed the stream: closed() then says so).
  std::optional<Poco::JSON::Object::Ptr> next(std::chrono::milliseconds timeout) {
    ws_->setReceiveTimeout(Poco::Timespan(timeout.count() * 1000));
    char buffer[16384];
    try {
      for (;;) {
        int flags = 0;
        int n = ws_->receiveFrame(buffer, sizeof buffer, flags);
        const int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
        if ((n == 0 && flags == 0) || op == Poco::Net::WebSocket::FRAME_OP_CLOSE) {
          closed_ = true;
          if (n >= 2) close_code_ = (static_cast<unsigned char>(buffer[0]) << 8) | static_cast<unsigned char>(buffer[1]);
          return std::nullopt;
        }
        if (op == Poco::Net::WebSocket::FRAME_OP_PING) {
          ws_->sendFrame(buffer, n, int(Poco::Net::WebSocket::FRAME_FLAG_FIN) | int(Poco::Net::WebSocket::FRAME_OP_PONG));
          continue;
        }
        if (op != Poco::Net::WebSocket::FRAME_OP_TEXT) continue;
        Poco::JSON::Parser parser;
        return parser.parse(std::string(buffer, static_cast<size_t>(n))).extract<Poco::JSON::Object::Ptr>();
      }
    } catch (const Poco::TimeoutException&) {
      return std::nullopt;
    } catch (const Poco::Net::NetException&) {
      closed_ = true;
      return std::nullopt;
    }
  }

  // Waits for {"type":"ready"}: from then on the host pushes to this stream.
  bool ready(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto frame = next(timeout);
    return frame && (*frame)->optValue<std::string>("type", "") == "ready";
  }

  bool closed() const { return closed_; }
  int close_code() const { return close_code_; }
  void close() {
    try {
      ws_->shutdown();
    } catch (const std::exception&) {
    }
  }

private:
  Poco::Net::HTTPClientSession session_;
  Poco::Net::HTTPResponse response_;
  std::unique_ptr<Poco::Net::WebSocket> ws_;
  bool closed_ = false;
  int close_code_ = 0;
};

} // namespace itest
