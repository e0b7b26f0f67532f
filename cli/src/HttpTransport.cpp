// HttpTransport: see the header.
#include "HttpTransport.hpp"

#include "Errors.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace crmctl {

namespace {

using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i)
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string seconds_text(std::chrono::milliseconds t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", static_cast<double>(t.count()) / 1000.0);
  return buffer;
}

// Sends all of `data`; 0, or the errno that stopped it (ETIMEDOUT when the
// deadline passed first).
int send_all(int fd, std::string_view data, Clock::time_point deadline);

// Reads what has arrived into `buffer`, waiting until the deadline: the
// number of bytes read, 0 at the end of the stream, or minus the errno
// (-ETIMEDOUT when the deadline passed first).
long recv_some(int fd, std::string& buffer, Clock::time_point deadline);

// The connection closed (or was reset) before any byte of the answer: on a
// kept-alive connection the server may have closed it meanwhile, so the
// request is sent once more on a new one.
struct StaleConnection {};

// Milliseconds left until `deadline` for poll(), at least 0.
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on `fd`; false when the deadline passed first.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true; // let the following call report the error
  }
}

int send_all(int fd, std::string_view data, Clock::time_point deadline) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(fd, POLLOUT, deadline)) return ETIMEDOUT;
    } else {
      return errno;
    }
  }
  return 0;
}

long recv_some(int fd, std::string& buffer, Clock::time_point deadline) {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
      return static_cast<long>(n);
    }
    if (n == 0) return 0;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!wait_for(fd, POLLIN, deadline)) return -ETIMEDOUT;
      continue;
    }
    return -errno;
  }
}

} // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::string normalise_server(const std::string& url) {
  std::string text = url;
  while (!text.empty() && (text.back() == '/' || text.back() == ' ')) text.pop_back();
  while (!text.empty() && text.front() == ' ') text.erase(0, 1);
  if (text.empty()) throw UsageError("the server URL is empty");
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos)
    text = "http://" + text;
  else if (text.compare(0, scheme_end, "https") == 0)
    throw UsageError("https is not supported by this crmctl build: use http://, e.g. through an SSH tunnel (" + url +
                     ")");
  else if (text.compare(0, scheme_end, "http") != 0)
    throw UsageError("not an http server URL: " + url + " (expected http://host:port)");
  if (text.find_first_of("?#") != std::string::npos) throw UsageError("a server URL has no query or fragment: " + url);
  parse_server(text); // checks host and port
  return text;
}

ServerUrl parse_server(const std::string& normalised) {
  ServerUrl u;
  std::string rest = normalised.substr(normalised.find("://") + 3);
  const auto slash = rest.find('/');
  if (slash != std::string::npos) {
    u.base = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  if (rest.rfind('@') != std::string::npos) throw UsageError("a server URL carries no user or password: " + normalised);
  std::string port;
  if (!rest.empty() && rest.front() == '[') { // [::1]:8080
    const auto close = rest.find(']');
    if (close == std::string::npos) throw UsageError("not a server URL: " + normalised);
    u.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw UsageError("not a server URL: " + normalised);
      port = rest.substr(close + 2);
    }
  } else {
    const auto colon = rest.find(':');
    u.host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (u.host.empty()) throw UsageError("not an http server URL: " + normalised + " (expected http://host:port)");
  if (port.empty()) port = "80";
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) == 0 ||
      std::stoi(port) > 65535)
    throw UsageError("not a port number in " + normalised + ": " + port);
  u.port = port;
  return u;
}

namespace http_detail {

bool parse_head(std::string_view head, int& status, Headers& headers) {
  headers.clear();
  auto line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/") return false;
  const auto space = line.find(' ');
  if (space == std::string_view::npos || space + 4 > line.size()) return false;
  status = 0;
  for (size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    status = status * 10 + (line[i] - '0');
  }
  while (line_end != std::string_view::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    line = head.substr(start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

bool decode_chunked(std::string_view raw, std::string& body, bool& bad) {
  body.clear();
  bad = false;
  size_t i = 0;
  for (;;) {
    const auto eol = raw.find("\r\n", i);
    if (eol == std::string_view::npos) return false;
    size_t size = 0;
    size_t j = i;
    for (; j < eol && std::isxdigit(static_cast<unsigned char>(raw[j])); ++j) {
      if (size > (SIZE_MAX >> 4)) {
        bad = true;
        return false;
      }
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw[j])));
      size = size * 16 + static_cast<size_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (j == i || (j < eol && raw[j] != ';')) { // a chunk size, perhaps with extensions
      bad = true;
      return false;
    }
    i = eol + 2;
    if (size == 0) {
      // Trailers, then a blank line.
      for (;;) {
        const auto end = raw.find("\r\n", i);
        if (end == std::string_view::npos) return false;
        if (end == i) return true;
        i = end + 2;
      }
    }
    if (raw.size() < i + size + 2) return false;
    body.append(raw.substr(i, size));
    if (raw.substr(i + size, 2) != "\r\n") {
      bad = true;
      return false;
    }
    i += size + 2;
  }
}

void ChunkedDecoder::feed(std::string_view bytes, std::string& out) {
  size_t i = 0;
  while (i < bytes.size() && state_ != State::Done && state_ != State::Bad) {
    if (state_ == State::Data) {
      const size_t n = std::min(left_, bytes.size() - i);
      out.append(bytes.substr(i, n));
      i += n;
      left_ -= n;
      if (left_ == 0) state_ = State::DataEnd;
      continue;
    }
    // Size, DataEnd and Trailer read a line at a time.
    const char c = bytes[i++];
    if (c != '\n') {
      if (line_.size() > 1024) state_ = State::Bad;
      line_ += c;
      continue;
    }
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (state_ == State::DataEnd) {
      state_ = line_.empty() ? State::Size : State::Bad;
    } else if (state_ == State::Trailer) {
      if (line_.empty()) state_ = State::Done;
    } else { // a chunk size, perhaps with extensions
      size_t size = 0, j = 0;
      for (; j < line_.size() && std::isxdigit(static_cast<unsigned char>(line_[j])); ++j) {
        if (size > (SIZE_MAX >> 4)) break;
        const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(line_[j])));
        size = size * 16 + static_cast<size_t>(h <= '9' ? h - '0' : h - 'a' + 10);
      }
      if (j == 0 || (j < line_.size() && line_[j] != ';')) {
        state_ = State::Bad;
      } else if (size == 0) {
        state_ = State::Trailer;
      } else {
        left_ = size;
        state_ = State::Data;
      }
    }
    line_.clear();
  }
}

} // namespace http_detail

HttpTransport::HttpTransport(const std::string& server, std::chrono::milliseconds timeout)
    : server_(normalise_server(server)), url_(parse_server(server_)), timeout_(timeout) {}

HttpTransport::~HttpTransport() { close_socket(); }

void HttpTransport::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

void HttpTransport::connect_socket() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int gai = ::getaddrinfo(url_.host.c_str(), url_.port.c_str(), &hints, &found);
  if (gai != 0) {
    if (gai == EAI_NONAME || gai == EAI_NODATA)
      throw UnreachableError("cannot reach " + server_ + ": unknown host " + url_.host);
    throw UnreachableError("cannot reach " + server_ + ": " + ::gai_strerror(gai));
  }
  const auto deadline = Clock::now() + timeout_;
  int last_error = 0;
  bool timed_out = false;
  for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int error = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        if (!wait_for(fd, POLLOUT, deadline)) {
          timed_out = true;
          error = ETIMEDOUT;
        } else {
          socklen_t len = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        }
      }
    }
    if (error != 0) {
      last_error = error;
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (fd_ >= 0) return;
  if (last_error == ECONNREFUSED)
    throw UnreachableError("cannot reach " + server_ + ": connection refused (is crm-host running?)");
  if (timed_out || last_error == ETIMEDOUT)
    throw UnreachableError("cannot reach " + server_ + ": no connection within " + seconds_text(timeout_));
  throw UnreachableError("cannot reach " + server_ + ": " + std::strerror(last_error));
}

HttpResponse HttpTransport::send(const std::string& method, const std::string& target, const std::string& body,
                                 const std::string& content_type, const Headers& headers) {
  const bool ipv6 = url_.host.find(':') != std::string::npos;
  std::string request = method + " " + url_.base + target +
                        " HTTP/1.1\r\nHost: " + (ipv6 ? "[" + url_.host + "]" : url_.host) +
                        (url_.port == "80" ? "" : ":" + url_.port) +
                        "\r\nUser-Agent: crmctl\r\nAccept: application/json, application/problem+json\r\n"
                        "Connection: keep-alive\r\n";
  for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  const bool head_only = method == "HEAD";

  bool reused = fd_ >= 0;
  for (;;) {
    if (fd_ < 0) connect_socket();
    try {
      HttpResponse r = exchange(request);
      if (head_only) r.body.clear();
      return r;
    } catch (const StaleConnection&) {
      close_socket();
      if (!reused)
        throw UnreachableError("cannot reach " + server_ + ": the connection closed without an answer (" + method +
                               " " + target + ")");
      reused = false; // once more, on a new connection
    } catch (const UnreachableError&) {
      close_socket();
      throw;
    }
  }
}

HttpResponse HttpTransport::stream(const std::string& target, const Headers& headers,
                                   const std::function<bool(std::string_view)>& on_body,
                                   std::chrono::milliseconds idle) {
  close_socket(); // a stream has a connection of its own
  connect_socket();
  const bool ipv6 = url_.host.find(':') != std::string::npos;
  std::string request = "GET " + url_.base + target + " HTTP/1.1\r\nHost: " +
                        (ipv6 ? "[" + url_.host + "]" : url_.host) + (url_.port == "80" ? "" : ":" + url_.port) +
                        "\r\nUser-Agent: crmctl\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n";
  for (const auto& [k, v] : headers) request += k + ": " + v + "\r\n";
  request += "\r\n";
  struct Closer {
    HttpTransport& t;
    ~Closer() { t.close_socket(); }
  } closer{*this};

  auto deadline = Clock::now() + timeout_;
  if (const int error = send_all(fd_, request, deadline); error != 0)
    throw UnreachableError(error == ETIMEDOUT ? "no answer from " + server_ + " (GET " + target + ")"
                                              : "cannot reach " + server_ + ": " + std::strerror(error));
  std::string buffer;
  // Reads more into `buffer`; false at the end of the stream.
  auto read_more = [&]() -> bool {
    const long n = recv_some(fd_, buffer, deadline);
    if (n >= 0) return n > 0;
    if (n == -ETIMEDOUT)
      throw UnreachableError("no answer from " + server_ + " within " +
                             seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(idle)) + " (GET " +
                             target + ")");
    throw UnreachableError("cannot reach " + server_ + ": " + std::strerror(static_cast<int>(-n)));
  };
  HttpResponse r;
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more()) throw UnreachableError("cannot reach " + server_ + ": the connection closed without an answer");
    if (buffer.size() > (1u << 20)) throw UnreachableError(server_ + " sent an answer head over 1 MiB");
  }
  if (!http_detail::parse_head(std::string_view(buffer).substr(0, head_end), r.status, r.headers))
    throw UnreachableError(server_ + " did not answer in HTTP");
  buffer.erase(0, head_end + 4);
  r.content_type = r.header("Content-Type");
  const bool chunked = icontains(r.header("Transfer-Encoding"), "chunked");
  if (r.status < 200 || r.status >= 300) {
    // An error answer: read it whole (by length, chunks or close).
    const std::string length = r.header("Content-Length");
    if (chunked) {
      bool bad = false;
      while (!http_detail::decode_chunked(buffer, r.body, bad) && !bad)
        if (!read_more()) break;
    } else if (!length.empty()) {
      const size_t size = static_cast<size_t>(std::strtoull(length.c_str(), nullptr, 10));
      while (buffer.size() < size && read_more()) {
      }
      r.body = buffer.substr(0, std::min(size, buffer.size()));
    } else {
      while (read_more()) {
      }
      r.body = std::move(buffer);
    }
    return r;
  }
  http_detail::ChunkedDecoder decoder;
  std::string piece;
  for (;;) {
    piece.clear();
    if (chunked) {
      decoder.feed(buffer, piece);
      if (decoder.bad()) throw UnreachableError(server_ + " sent a malformed chunked stream");
    } else {
      piece.swap(buffer);
    }
    buffer.clear();
    if (!piece.empty() && !on_body(piece)) return r;
    if (chunked && decoder.done()) return r;
    deadline = Clock::now() + idle;
    if (!read_more()) return r;
  }
}

HttpResponse HttpTransport::exchange(const std::string& request) {
  const auto deadline = Clock::now() + timeout_;
  auto timeout = [&] {
    return UnreachableError("no answer from " + server_ + " within " + seconds_text(timeout_) + " (" +
                            request.substr(0, request.find(" HTTP/1.1")) + ")");
  };
  auto broken = [&](int error) { return UnreachableError("cannot reach " + server_ + ": " + std::strerror(error)); };

  if (const int error = send_all(fd_, request, deadline); error != 0) {
    if (error == ETIMEDOUT) throw timeout();
    if (error == EPIPE || error == ECONNRESET) throw StaleConnection{};
    throw broken(error);
  }

  // Reads more of the answer into `buffer`; false at the end of the stream.
  std::string buffer = std::move(pending_);
  pending_.clear();
  auto read_more = [&]() -> bool {
    const long n = recv_some(fd_, buffer, deadline);
    if (n >= 0) return n > 0;
    if (n == -ETIMEDOUT) throw timeout();
    if (n == -ECONNRESET && buffer.empty()) throw StaleConnection{};
    throw broken(static_cast<int>(-n));
  };

  HttpResponse r;
  size_t head_end;
  for (;;) {
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) {
        if (buffer.empty()) throw StaleConnection{};
        throw UnreachableError("cannot reach " + server_ + ": the connection closed in the middle of an answer");
      }
      if (buffer.size() > (1u << 20)) throw UnreachableError(server_ + " sent an answer head over 1 MiB");
    }
    if (!http_detail::parse_head(std::string_view(buffer).substr(0, head_end), r.status, r.headers))
      throw UnreachableError(server_ + " did not answer in HTTP");
    buffer.erase(0, head_end + 4);
    if (r.status >= 200) break;
    // 1xx (100 Continue): the real answer follows.
  }
  r.content_type = r.header("Content-Type");

  const bool no_body = r.status == 204 || r.status == 304 || request.rfind("HEAD ", 0) == 0;
  bool close_after = icontains(r.header("Connection"), "close");
  if (no_body) {
    // nothing to read
  } else if (icontains(r.header("Transfer-Encoding"), "chunked")) {
    bool bad = false;
    while (!http_detail::decode_chunked(buffer, r.body, bad)) {
      if (bad) throw UnreachableError(server_ + " sent a malformed chunked answer");
      if (!read_more()) throw UnreachableError("cannot reach " + server_ + ": the answer was cut short");
    }
    buffer.clear(); // trailing bytes would be a protocol error; a new connection is safer
    close_after = true;
  } else if (const std::string length = r.header("Content-Length"); !length.empty()) {
    size_t size = 0;
    try {
      size = static_cast<size_t>(std::stoull(length));
    } catch (const std::exception&) {
      throw UnreachableError(server_ + " sent a bad Content-Length: " + length);
    }
    while (buffer.size() < size)
      if (!read_more()) throw UnreachableError("cannot reach " + server_ + ": the answer was cut short");
    r.body = buffer.substr(0, size);
    pending_ = buffer.substr(size);
  } else {
    while (read_more()) {
    }
    r.body = std::move(buffer);
    close_after = true;
  }
  if (close_after) close_socket();
  return r;
}

} // namespace crmctl
