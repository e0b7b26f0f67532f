// BufferedExchange: a whole request already in memory, and its reply built in
// memory, behind Poco's HTTPServerRequest/HTTPServerResponse interfaces, so
// the handlers written for Poco's server run unchanged on the front door.
// The request body is read from the buffer; the reply is collected and
// serialized in one piece (status line, headers, Content-Length, body) for
// the front door to write. One exchange per request, on one worker thread.
#pragma once

#include "http/FrontDoor.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>

#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

namespace crm::http {

class BufferedResponse : public Poco::Net::HTTPServerResponse {
public:
  BufferedResponse() = default;
  void sendContinue() override {} // the front door answered Expect before the body came
  std::ostream& send() override;
  void sendFile(const std::string& path, const std::string& media_type) override;
  void sendBuffer(const void* buffer, std::size_t length) override;
  void redirect(const std::string& uri, HTTPStatus status) override;
  void requireAuthentication(const std::string& realm) override;
  bool sent() const override { return sent_; }

  // The reply as bytes: HTTP/1.1 status line, the headers (with Date, Server
  // and Content-Length), and the body unless `head_only`. `keep_alive` sets
  // the Connection header for the client's version. An `open_ended` reply
  // (its body streamed after the head) keeps its Transfer-Encoding and has
  // no Content-Length.
  std::string serialize(bool head_only, bool keep_alive, bool http10, bool open_ended = false);

private:
  std::string body_;
  std::optional<std::ostringstream> stream_;
  bool sent_ = false;
};

class BufferedRequest : public Poco::Net::HTTPServerRequest, public UpgradableRequest {
public:
  // Takes the method, URI, version and headers from `head` (which is left
  // empty) and reads the body from `body` (borrowed for the exchange).
  BufferedRequest(Poco::Net::HTTPRequest& head, const std::string& body, Poco::Net::SocketAddress client,
                  Poco::Net::SocketAddress server, const Poco::Net::HTTPServerParams& params,
                  BufferedResponse& response);

  std::istream& stream() override { return body_stream_; }
  const Poco::Net::SocketAddress& clientAddress() const override { return client_; }
  const Poco::Net::SocketAddress& serverAddress() const override { return server_; }
  const Poco::Net::HTTPServerParams& serverParams() const override { return params_; }
  Poco::Net::HTTPServerResponse& response() const override { return response_; }
  bool secure() const override { return false; }

  void upgrade_after_reply(std::function<void(Poco::Net::StreamSocket)> adopt) override { adopt_ = std::move(adopt); }
  void stream_after_reply(std::function<void(Poco::Net::StreamSocket)> adopt) override {
    adopt_ = std::move(adopt);
    streams_body_ = true;
  }
  std::function<void(Poco::Net::StreamSocket)>& adopter() { return adopt_; }
  bool streams_body() const { return streams_body_; }

private:
  Poco::MemoryInputStream body_stream_;
  Poco::Net::SocketAddress client_;
  Poco::Net::SocketAddress server_;
  const Poco::Net::HTTPServerParams& params_;
  BufferedResponse& response_;
  std::function<void(Poco::Net::StreamSocket)> adopt_;
  bool streams_body_ = false;
};

} // namespace crm::http
