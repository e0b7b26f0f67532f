// LineChannel: a Poco::Channel that formats each message and writes it to a
// file descriptor (standard error by default) as one line with one write(),
// under a lock, so lines from many threads never interleave.
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Formatter.h>

#include <mutex>

namespace crm::log {

class LineChannel : public Poco::Channel {
public:
  // `formatter` must be safe to call from several threads at once (it is
  // called outside the lock); JsonFormatter is. `fd` is borrowed, not closed.
  explicit LineChannel(Poco::AutoPtr<Poco::Formatter> formatter, int fd = 2);

  // Never throws: a log line that cannot be written is dropped.
  void log(const Poco::Message& message) override;

private:
  Poco::AutoPtr<Poco::Formatter> formatter_;
  int fd_;
  std::mutex write_mutex_;
};

} // namespace crm::log
