// ProcessStats: what a test can see of another process from /proc (its
// resident memory and open file descriptors), and the test's own file limit,
// for the tests that hold thousands of connections to a host.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>

namespace itest {

// VmRSS of /proc/<pid>/status in KiB, or nullopt when the process is gone.
inline std::optional<long> resident_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return std::nullopt;
}

// Entries of /proc/<pid>/fd: the process's open files and sockets.
inline std::optional<long> open_fd_count(int pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return std::nullopt;
  long n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n;
}

// The process's TCP connections accepted on local `port` (its listening
// socket not counted): its descriptors that are sockets, matched by inode
// with /proc/net/tcp and tcp6. Apart from what the process opens for itself
// (pool and NATS connections come and go), these are the clients' doing.
inline std::optional<long> accepted_connection_count(int pid, int port) {
  std::set<std::string> inodes;
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return std::nullopt;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    const std::string target = std::filesystem::read_symlink(it->path(), ec).string();
    if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  long n = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line); // the heading
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
        continue;
      const auto colon = local.rfind(':');
      if (colon == std::string::npos || state == "0A") continue; // 0A: listening
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port && inodes.count(inode)) ++n;
    }
  }
  return n;
}

// Raises this process's soft RLIMIT_NOFILE to at least `wanted` (up to the
// hard limit; processes started afterwards inherit it). Returns the soft
// limit now in force.
inline rlim_t raise_file_limit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

} // namespace itest
