// LineChannel: see the header.
#include "log/LineChannel.hpp"

#include <Poco/Message.h>

#include <cerrno>
#include <string>
#include <unistd.h>

namespace crm::log {

LineChannel::LineChannel(Poco::AutoPtr<Poco::Formatter> formatter, int fd)
    : formatter_(std::move(formatter)), fd_(fd) {}

void LineChannel::log(const Poco::Message& message) {
  // One buffer per thread, reused: formatting a line allocates nothing once warm.
  thread_local std::string line;
  line.clear();
  try {
    formatter_->format(message, line);
  } catch (...) {
    return;
  }
  line.push_back('\n');

  std::lock_guard lock(write_mutex_);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; // EPIPE, EBADF, disk full: nothing sensible to do from a logger
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (line.capacity() > 64 * 1024) line = std::string(); // one huge line must not pin memory forever
}

} // namespace crm::log
