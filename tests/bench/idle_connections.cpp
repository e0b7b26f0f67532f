// idle_connections: holds many idle keep-alive connections to a server on
// 127.0.0.1, for scripts/bench/connections. Each connection sends one
// request and reads its reply (so the server sees a keep-alive client between
// requests, as a browser or a balancer's pool leaves it), then stays silent.
// The connections come from several 127.0.<subnet>.x source addresses, so a
// per-address cap sees many clients.
//
// Usage: idle_connections PORT COUNT [SOURCES] [PATH]
//   SOURCES: source addresses 127.0.9.10 onwards (default 50)
//   PATH:    the request each connection sends (default /health/live)
// Prints "holding N" once all are open and answered, then holds them until
// SIGTERM/SIGINT, checks how many the server closed meanwhile, and exits.
// Exits 1 if any connection failed to open or was not answered.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int open_connection(int port, const std::string& source) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    std::fprintf(stderr, "idle_connections: %s -> 127.0.0.1:%d: %s\n", source.c_str(), port, std::strerror(errno));
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads one reply: its head and the Content-Length bytes after it (5 s at most).
bool read_reply(int fd) {
  std::string in;
  size_t need = std::string::npos;
  for (int waited = 0; waited < 50;) {
    if (need != std::string::npos && in.size() >= need) return true;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      ++waited;
      continue;
    }
    char buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    in.append(buffer, static_cast<size_t>(n));
    size_t head_end = in.find("\r\n\r\n");
    if (need == std::string::npos && head_end != std::string::npos) {
      if (in.compare(0, 12, "HTTP/1.1 200") != 0) return false;
      size_t length = 0;
      size_t at = in.find("Content-Length:");
      if (at == std::string::npos) at = in.find("content-length:");
      if (at != std::string::npos && at < head_end) length = std::strtoul(in.c_str() + at + 15, nullptr, 10);
      need = head_end + 4 + length;
    }
  }
  return false;
}

bool closed_by_server(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: idle_connections PORT COUNT [SOURCES] [PATH]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const size_t count = std::strtoul(argv[2], nullptr, 10);
  const size_t sources = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 50;
  const std::string path = argc > 4 ? argv[4] : "/health/live";
  if (sources == 0 || sources > 200) {
    std::fprintf(stderr, "idle_connections: SOURCES must be 1 to 200\n");
    return 2;
  }

  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < count + 64) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? count + 64 : std::min<rlim_t>(count + 64, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<int> fds;
  fds.reserve(count);
  size_t failed = 0;
  // In batches: open and send a batch, then read its replies.
  for (size_t batch = 0; batch < count; batch += 500) {
    const size_t end = std::min(count, batch + 500);
    for (size_t i = batch; i < end; ++i) {
      const std::string source = "127.0.9." + std::to_string(10 + i % sources);
      int fd = open_connection(port, source);
      if (fd < 0 || ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        ++failed;
      fds.push_back(fd);
    }
    for (size_t i = batch; i < end; ++i)
      if (fds[i] >= 0 && !read_reply(fds[i])) ++failed;
  }
  if (failed) {
    std::fprintf(stderr, "idle_connections: %zu of %zu connections failed to open or were not answered\n", failed,
                 count);
    return 1;
  }
  std::printf("holding %zu\n", fds.size());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop, &signal);
  size_t closed = 0;
  for (int fd : fds) closed += closed_by_server(fd) ? 1 : 0;
  std::printf("idle connections the server closed while held: %zu of %zu\n", closed, fds.size());
  for (int fd : fds) ::close(fd);
  return 0;
}
