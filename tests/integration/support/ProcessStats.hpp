// ProcessStats: what a test can see of another process from /proc (its
// resident memory and open file descriptors), and the test's own file limit,
// for the tests that hold thousands of connections to a host.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
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
