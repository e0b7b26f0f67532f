// PluginStreams: the live streams of the plugins' CRM_OP_STREAM routes
// (plugin_abi.h), as WebSockets or Server-Sent Events.
//
// PluginStreamRoute calls the handler and answers the handshake; then the
// socket is handed over here and the request thread returns to the pool, so
// an idle stream holds no request thread. As for notification streams, one
// reactor thread reads every stream (WebSocket pings and close, or an SSE
// client going away) and a housekeeping thread pings each stream now and then
// (a ping frame, or an SSE comment) and ends those whose access token expired.
// A stream also ends with its session (token revoked, user deactivated or
// given another role), as NotificationStreams tells it (end_sessions).
//
// What is pushed: the events of the types a stream follows, with its subject,
// as this host hears them on NATS (a plain subscription per type, so every
// host sees every event). Streams are indexed by (type, subject), so an event
// costs a lookup, not a scan. Each stream keeps the last frame id it sent:
// an event whose id (data[cursor]) is not above it is skipped; one that
// skips ids makes the host call the handler again, as the stream's caller,
// with "after" = the last id, and send what it returns first, so a stream has
// no gaps. A frame whose data[final] is true is sent, then the stream ends
// (WebSocket close 1000; SSE: the end of the response).
//
// Events heard while a handler runs are kept by an Opening and merged after
// the handler's frames; an Opening begins before the handler is called, so
// no event published after the handler read its state is missed once the
// type's subscription exists. The first stream of a type on this host
// subscribes after its handler ran: it asks the handler once more (a
// catch-up with "after") once the subscription is in place.
//
// Sending happens on a small pool of delivery threads, one stream at a time,
// so a slow client (dropped after send_timeout_ms) or a catch-up call does not
// hold back NATS or the other streams.
#pragma once

#include "http/NotificationStreams.hpp"
#include "http/PluginStreamReply.hpp"
#include "security/Principal.hpp"

#include <nats/nats.h>

#include <Poco/Net/SocketReactor.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Thread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace crm::events {
class NatsClient;
}
namespace crm::security {
class PrincipalCache;
}
namespace crm::plugins {
class Invoker;
struct Operation;
struct Outcome;
} // namespace crm::plugins

namespace crm::http {

class PluginStreams {
public:
  enum class Kind { WebSocket, EventStream };

  // Who a stream's handler is called as, and with what.
  struct Caller {
    const plugins::Operation* op = nullptr; // operations live as long as the host
    security::Principal principal;
    std::string input; // the path's and query's parameters, without "after"
    std::string client_ip;
    std::string path;
    std::string request_id;
  };

  // The events heard while a stream opens; see the file's first comment.
  class Opening;

  PluginStreams(StreamsConfig config, plugins::Invoker& invoker);
  ~PluginStreams(); // ends every stream (WebSocket 1001; SSE cut short) and stops the threads

  void feed_from(events::NatsClient& nats);

  // Room for one more stream of `user_id` (the limits per host and per user).
  bool has_room(const std::string& user_id) const;
  // Begins collecting events for a stream about to open; the Opening stops
  // collecting when the last reference to it goes.
  std::shared_ptr<Opening> begin_opening();
  // Makes sure this host hears `types`; false when NATS cannot take a
  // subscription now. `fresh`: one was taken just now (see catch-up).
  bool follow(const std::vector<std::string>& types, bool& fresh);
  // Calls the stream's handler as its caller, with "after".
  plugins::Outcome call(const Caller& caller, std::optional<long long> after);

  // Takes an answered socket over: sends `first`'s frames, then follows.
  // `last`: the id the client has (its "after"), if any; `catch_up`: ask the
  // handler again before following (a fresh subscription).
  void adopt(Poco::Net::StreamSocket socket, Kind kind, Caller caller, StreamReply first, std::optional<long long> last,
             std::shared_ptr<Opening> opening, bool catch_up);

  // Ends the streams of revoked tokens (1008), and of the changed users that
  // `principals` no longer admits with their token's role (see
  // NotificationStreams::also_tell).
  void end_sessions(const std::vector<std::string>& revoked_jtis, const std::vector<std::string>& changed_users,
                    security::PrincipalCache* principals);

  size_t open_streams() const;
  long long pushed() const { return pushed_; }

private:
  struct Stream;
  struct Heard; // an event as an Opening keeps it

  // NATS side.
  static void on_nats_message(natsConnection*, natsSubscription*, natsMsg*, void* closure);
  void on_event(const char* data, int len);
  // Delivery side.
  void enqueue(const std::shared_ptr<Stream>& s, std::vector<StreamFrame> frames, bool front);
  void deliver_loop();
  void deliver(Stream& s);
  // Sends frames above the last id (all of them when `all`); false when the stream ended.
  bool send_frames(Stream& s, const std::vector<StreamFrame>& frames, bool all);
  // Calls the handler with after = the last id and sends what is new.
  bool catch_up(Stream& s);
  bool send_text(Stream& s, const std::string& text);
  void finish(Stream& s); // the stream is complete
  void close_for(Stream& s, int code, const std::string& why);
  // Reactor side.
  void read_from(const std::shared_ptr<Stream>& s);
  void drop(const std::shared_ptr<Stream>& s);
  void housekeeping();
  std::vector<std::shared_ptr<Stream>> all_streams() const;

  StreamsConfig config_;
  plugins::Invoker& invoker_;
  Poco::Net::SocketReactor reactor_;
  Poco::Thread reactor_thread_;
  std::thread housekeeper_;
  std::vector<std::thread> deliverers_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::atomic<bool> stopping_{false}; // read under stop_mutex_ and ready_mutex_

  // The index: type -> subject -> streams, and the count per user.
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<std::shared_ptr<Stream>>>> index_;
  std::unordered_map<std::string, size_t> per_user_;
  std::vector<std::shared_ptr<Stream>> streams_;
  std::atomic<size_t> count_{0};

  std::mutex openings_mutex_;
  std::vector<std::weak_ptr<Opening>> openings_;
  std::atomic<size_t> opening_count_{0};

  // Streams with frames to send, for the delivery threads.
  std::mutex ready_mutex_;
  std::condition_variable ready_cv_;
  std::deque<std::shared_ptr<Stream>> ready_;

  std::mutex nats_mutex_;
  events::NatsClient* nats_ = nullptr;
  std::map<std::string, natsSubscription*> subscriptions_; // by event type

  std::atomic<long long> pushed_{0};
};

} // namespace crm::http
