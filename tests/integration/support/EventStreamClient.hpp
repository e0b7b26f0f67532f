// EventStreamClient: a Server-Sent Events client, as a browser's EventSource
// holds one: GET with Accept: text/event-stream (and Last-Event-ID when
// resuming), then events read one by one with a deadline from the chunked
// body. It tells a stream the host ended (the last chunk came) from one cut
// short (the connection closed without it).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace itest {

struct ServerSentEvent {
  std::string id;
  std::string event;
  Poco::JSON::Object::Ptr data;
};

class EventStreamClient {
public:
  // `headers`: extra request headers (Authorization, Last-Event-ID, ...).
  EventStreamClient(int port, const std::string& path, const std::map<std::string, std::string>& headers)
      : socket_(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port))) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    socket_.sendBytes(request.data(), static_cast<int>(request.size()));
    read_head(std::chrono::seconds(10));
  }

  int status() const { return status_; }
  std::string header(const std::string& name) const {
    auto it = headers_.find(Poco::toLower(name));
    return it == headers_.end() ? std::string() : it->second;
  }
  // A refused opening's body (problem+json): read whole by the constructor.
  const std::string& body() const { return text_; }

  // The next event (comments skipped), or nullopt when none comes within
  // `timeout` or the stream ended (ended() / cut() then say how).
  std::optional<ServerSentEvent> next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t end = text_.find("\n\n");
      while (end != std::string::npos) {
        std::string block = text_.substr(0, end);
        text_.erase(0, end + 2);
        if (auto e = parse(block)) return e;
        end = text_.find("\n\n");
      }
      if (ended_ || cut_) return std::nullopt;
      if (!fill(deadline)) return std::nullopt;
    }
  }

  bool ended() const { return ended_; } // the host ended the response
  bool cut() const { return cut_; }     // the connection closed mid-response
  size_t comments() const { return comments_; }

private:
  std::optional<ServerSentEvent> parse(const std::string& block) {
    ServerSentEvent e;
    bool any = false;
    size_t pos = 0;
    while (pos <= block.size()) {
      size_t nl = block.find('\n', pos);
      if (nl == std::string::npos) nl = block.size();
      std::string line = block.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.empty()) continue;
      if (line[0] == ':') {
        ++comments_;
        continue;
      }
      size_t colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      any = true;
      if (field == "id")
        e.id = value;
      else if (field == "event")
        e.event = value;
      else if (field == "data")
        e.data = Poco::JSON::Parser().parse(value).extract<Poco::JSON::Object::Ptr>();
    }
    if (!any) return std::nullopt;
    return e;
  }

  // Reads more of the body and decodes its chunks into text_; false on timeout or end.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      // Decode what is buffered.
      for (;;) {
        size_t line_end = raw_.find("\r\n");
        if (line_end == std::string::npos) break;
        const size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
        if (size == 0) {
          ended_ = true;
          return false;
        }
        if (raw_.size() < line_end + 2 + size + 2) break;
        text_ += raw_.substr(line_end + 2, size);
        raw_.erase(0, line_end + 2 + size + 2);
        return true;
      }
      if (!receive(deadline)) return false;
    }
  }

  bool receive(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    socket_.setReceiveTimeout(Poco::Timespan(left.count() * 1000));
    char buffer[8192];
    try {
      int n = socket_.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) {
        cut_ = true;
        return false;
      }
      raw_.append(buffer, static_cast<size_t>(n));
      return true;
    } catch (const Poco::TimeoutException&) {
      return false;
    } catch (const Poco::Net::NetException&) {
      cut_ = true;
      return false;
    }
  }

  void read_head(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t end;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos)
      if (!receive(deadline)) throw std::runtime_error("no reply head");
    const std::string head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    status_ = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        headers_[Poco::toLower(line.substr(0, colon))] = Poco::trim(line.substr(colon + 1));
      pos = next;
    }
    if (status_ != 200) {
      // A refusal: a whole body of Content-Length bytes.
      const size_t length = std::stoul(header("Content-Length").empty() ? "0" : header("Content-Length"));
      while (raw_.size() < length)
        if (!receive(deadline)) break;
      text_ = raw_;
    }
  }

  Poco::Net::StreamSocket socket_;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string raw_;  // bytes not yet decoded
  std::string text_; // decoded body not yet parsed into events
  bool ended_ = false;
  bool cut_ = false;
  size_t comments_ = 0;
};

} // namespace itest
