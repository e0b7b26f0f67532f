// BufferedExchange: see the header.
#include "http/BufferedExchange.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/Timestamp.h>

#include <ctime>

namespace crm::http {

namespace {

// The Date header, formatted once a second per thread.
const std::string& http_date() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string text;
  std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    formatted_at = now;
    text = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(now), Poco::DateTimeFormat::HTTP_FORMAT);
  }
  return text;
}

bool has_no_body(int status) { return status < 200 || status == 204 || status == 304; }

} // namespace

std::ostream& BufferedResponse::send() {
  sent_ = true;
  if (!stream_) stream_.emplace();
  return *stream_;
}

void BufferedResponse::sendFile(const std::string&, const std::string&) {
  throw Poco::NotImplementedException("sendFile is not served by the front door");
}

void BufferedResponse::sendBuffer(const void* buffer, std::size_t length) {
  sent_ = true;
  body_.assign(static_cast<const char*>(buffer), length);
}

void BufferedResponse::redirect(const std::string& uri, HTTPStatus status) {
  setStatusAndReason(status);
  set("Location", uri);
  sent_ = true;
}

void BufferedResponse::requireAuthentication(const std::string& realm) {
  setStatusAndReason(HTTP_UNAUTHORIZED);
  set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
  sent_ = true;
}

std::string BufferedResponse::serialize(bool head_only, bool keep_alive, bool http10, bool open_ended) {
  if (stream_) body_ += stream_->str();
  const int status = static_cast<int>(getStatus());
  if (!open_ended) erase("Transfer-Encoding"); // the whole body is here: always a Content-Length
  if (status == 101 || open_ended) {
    keep_alive = true; // the Connection: Upgrade the handler set stays
  } else if (!keep_alive) {
    set("Connection", "close");
  } else if (http10) {
    set("Connection", "Keep-Alive");
  } else {
    erase("Connection");
  }
  if (open_ended) {
    erase("Content-Length");
  } else if (has_no_body(status)) {
    erase("Content-Length");
    body_.clear();
  } else if (!head_only || !has("Content-Length")) {
    set("Content-Length", std::to_string(body_.size()));
  }
  std::string out;
  out.reserve(256 + body_.size());
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += getReason();
  out += "\r\n";
  if (!has("Date")) {
    out += "Date: ";
    out += http_date();
    out += "\r\n";
  }
  if (!has("Server")) out += "Server: crm-host\r\n";
  for (const auto& [name, value] : *this) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  if (!head_only) out += body_;
  return out;
}

BufferedRequest::BufferedRequest(Poco::Net::HTTPRequest& head, const std::string& body,
                                 Poco::Net::SocketAddress client, Poco::Net::SocketAddress server,
                                 const Poco::Net::HTTPServerParams& params, BufferedResponse& response)
    : body_stream_(body.data(), body.size()), client_(client), server_(server), params_(params), response_(response) {
  setMethod(head.getMethod());
  setURI(head.getURI());
  setVersion(head.getVersion());
  swap(head); // the header fields, without copying them
  response_.setVersion(getVersion());
}

} // namespace crm::http
