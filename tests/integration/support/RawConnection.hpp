// RawConnection: one TCP connection to 127.0.0.1:<port> over plain POSIX
// sockets, for tests that must send what a well-behaved client never would:
// a request in pieces, a header line every few seconds, several requests in
// one write, a body that stops half way. Replies are read with a deadline and
// parsed just enough to check them (status, headers, a Content-Length or
// chunked body); bytes past one reply stay buffered for the next.
//
// The source address may be any 127.0.0.x, so one test can look like many
// clients to the per-address connection cap. Not thread-safe.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace itest {

struct RawResponse {
  int status = 0;
  std::string reason;
  std::string version; // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i)
        same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
      if (same) return v;
    }
    return std::nullopt;
  }
};

class RawConnection {
public:
  // Connects (blocking, loopback) from `source` (empty: the kernel picks
  // 127.0.0.1). `receive_buffer` > 0 shrinks the socket's receive buffer (a
  // client that reads slowly). Throws std::runtime_error when the connection
  // cannot be made.
  explicit RawConnection(int port, const std::string& source = {}, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    if (!source.empty()) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      from.sin_port = 0;
      if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1) fail("bad source address " + source);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) fail("bind " + source);
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) fail("connect");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() { close(); }
  RawConnection(RawConnection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), in_(std::move(other.in_)), peer_closed_(other.peer_closed_) {}
  RawConnection& operator=(RawConnection&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = std::exchange(other.fd_, -1);
      in_ = std::move(other.in_);
      peer_closed_ = other.peer_closed_;
    }
    return *this;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Writes all of `bytes`; false when the peer has closed or reset the
  // connection (no SIGPIPE), or has not taken them within `timeout` (a server
  // that stopped reading). A client whose request the server refused early
  // sees that, so callers read the reply whatever this returns.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, static_cast<int>(left.count()));
        continue;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // The next reply, or nullopt if none has fully arrived by the deadline or
  // the connection ended first (what did arrive stays in pending()).
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      RawResponse r;
      size_t used = 0;
      if (parse(r, used)) {
        in_.erase(0, used);
        return r;
      }
      if (!receive_until(deadline)) return std::nullopt;
    }
  }

  // True once the server has closed the connection (end of stream or reset)
  // within `timeout`; bytes it sent before closing are kept in pending().
  bool wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!peer_closed_) {
      if (!receive_until(deadline) && !peer_closed_) return false;
    }
    return true;
  }

  // Without waiting: has the server closed the connection? Reads whatever
  // is waiting into pending().
  bool closed_by_peer() {
    if (peer_closed_) return true;
    receive_until(std::chrono::steady_clock::now());
    return peer_closed_;
  }

  // Bytes received but not yet returned as a reply.
  const std::string& pending() const { return in_; }

private:
  [[noreturn]] void fail(const std::string& what) {
    const std::string message = what + ": " + std::strerror(errno);
    close();
    throw std::runtime_error(message);
  }

  // Waits for bytes until the deadline; true when some arrived.
  bool receive_until(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || peer_closed_) return false;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char buffer[16384];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) {
        peer_closed_ = true;
        return false;
      }
      in_.append(buffer, static_cast<size_t>(n));
      return true;
    }
  }

  // One whole reply at the start of in_: fills r and the bytes it took.
  bool parse(RawResponse& r, size_t& used) const {
    const size_t head_end = in_.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    std::string_view head(in_.data(), head_end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    size_t sp1 = status_line.find(' ');
    if (sp1 == std::string_view::npos) return false;
    r.version = std::string(status_line.substr(0, sp1));
    size_t sp2 = status_line.find(' ', sp1 + 1);
    r.status = std::atoi(std::string(status_line.substr(sp1 + 1, sp2 - sp1 - 1)).c_str());
    r.reason = sp2 == std::string_view::npos ? std::string() : std::string(status_line.substr(sp2 + 1));
    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string_view::npos) end = head.size();
      std::string_view line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
      }
      pos = end + 2;
    }
    size_t body_start = head_end + 4;
    // 1xx, 204 and 304 replies have no body (RFC 9112 6.3).
    if ((r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304) {
      used = body_start;
      return true;
    }
    auto te = r.header("Transfer-Encoding");
    if (te && te->find("chunked") != std::string::npos) return parse_chunked(r, body_start, used);
    auto length = r.header("Content-Length");
    size_t n = length ? static_cast<size_t>(std::stoull(*length)) : 0;
    if (!length) {
      // No length: the body runs to the end of the connection.
      if (!peer_closed_) return false;
      n = in_.size() - body_start;
    }
    if (in_.size() < body_start + n) return false;
    r.body = in_.substr(body_start, n);
    used = body_start + n;
    return true;
  }

  bool parse_chunked(RawResponse& r, size_t pos, size_t& used) const {
    std::string body;
    for (;;) {
      size_t eol = in_.find("\r\n", pos);
      if (eol == std::string::npos) return false;
      size_t size = std::stoull(in_.substr(pos, eol - pos), nullptr, 16);
      pos = eol + 2;
      if (size == 0) {
        // Trailer lines up to an empty one.
        for (;;) {
          size_t end = in_.find("\r\n", pos);
          if (end == std::string::npos) return false;
          bool empty = end == pos;
          pos = end + 2;
          if (empty) break;
        }
        r.body = std::move(body);
        used = pos;
        return true;
      }
      if (in_.size() < pos + size + 2) return false;
      body.append(in_, pos, size);
      pos += size + 2;
    }
  }

  int fd_ = -1;
  std::string in_;
  bool peer_closed_ = false;
};

// A request in one string: request line, Host, the given header lines, and
// Content-Length when there is a body.
inline std::string raw_request(const std::string& method, const std::string& target, const std::string& body = {},
                               const std::vector<std::string>& header_lines = {},
                               const std::string& version = "HTTP/1.1") {
  std::string out = method + " " + target + " " + version + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& line : header_lines) out += line + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    out += "Content-Type: application/json\r\n";
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  return out + body;
}

} // namespace itest
