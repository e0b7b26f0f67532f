// PluginStream: one open stream of PluginStreams, as its parts share it
// (PluginStreams.cpp follows events into it, PluginStreamSockets.cpp writes
// to and reads from its socket). Internal to those two files.
#pragma once

#include "http/PluginStreams.hpp"

#include <Poco/NObserver.h>
#include <Poco/Net/SocketNotification.h>

namespace crm::http {

struct PluginStreams::Stream : std::enable_shared_from_this<Stream> {
  Stream(PluginStreams& owner, Poco::Net::StreamSocket socket, Kind kind, Caller caller, StreamFollow follow,
         std::optional<long long> last)
      : owner(owner), socket(std::move(socket)), kind(kind), caller(std::move(caller)), follow(std::move(follow)),
        last(last) {}

  void on_readable(const Poco::AutoPtr<Poco::Net::ReadableNotification>&) { owner.read_from(shared_from_this()); }
  Poco::NObserver<Stream, Poco::Net::ReadableNotification> observer() {
    return Poco::NObserver<Stream, Poco::Net::ReadableNotification>(*this, &Stream::on_readable);
  }

  PluginStreams& owner;
  Poco::Net::StreamSocket socket; // a WebSocket's impl for Kind::WebSocket
  const Kind kind;
  const Caller caller;
  const StreamFollow follow;
  std::optional<long long> last; // the last id sent; delivery thread (one at a time)
  std::mutex send_mutex;
  std::atomic<bool> ended{false};
  std::atomic<bool> dropped{false};
  std::atomic<long long> ended_at{0}; // steady seconds, when it ended
  bool registered = false;            // in the index (under owner.mutex_)
  std::mutex queue_mutex;
  std::deque<StreamFrame> queue;
  bool scheduled = true; // a delivery thread has it (or adopt() still does)
};

} // namespace crm::http
