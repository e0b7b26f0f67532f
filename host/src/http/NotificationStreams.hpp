// NotificationStreams: the live push behind GET /api/notifications/stream.
//
// After the WebSocket upgrade the request thread hands the socket over here
// and returns to the pool, so idle listeners hold no request thread: one
// reactor thread reads every stream (pings, pongs, the client's close), and a
// housekeeping thread pings each stream now and then and closes the ones whose
// access token has expired (the client reconnects with a fresh one).
//
// A stream also ends with its session: when its access token is revoked (the
// user logged out, on any host: RevocationList hears of it), and when the
// principal provider no longer admits its user with the token's role
// (deactivated, deleted, role changed: PrincipalCache hears of the change and
// the stream's user is asked again). Each closes with 1008 and the reason.
//
// What is pushed: every `notification.created` event this host sees on NATS
// (a plain subscription, so every host sees every one) goes to the streams of
// the user in its `data.userId`, and to no one else, as one text frame
// {"type":"notification.created","data":{...}}. A new stream first receives
// {"type":"ready","userId":...}. Live push is a convenience on top of
// GET /api/notifications, which stays the record: an event published while
// this host was cut off from NATS is not pushed.
#pragma once

#include "security/Principal.hpp"

#include <nats/nats.h>

#include <Poco/Net/SocketReactor.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Thread.h>

#include <atomic>
#include <condition_variable>
#include <functional>
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
class RevocationList;
} // namespace crm::security

namespace crm::http {

struct StreamsConfig {
  int ping_seconds = 25;        // keeps proxies from closing an idle stream
  size_t max_streams = 10000;   // on this host
  size_t max_per_user = 16;
  int send_timeout_ms = 2000;   // a client this slow is dropped
};

class NotificationStreams {
public:
  explicit NotificationStreams(StreamsConfig config);
  ~NotificationStreams(); // closes every stream and stops the threads

  enum class Adopted { Yes, TooMany };
  // Takes over an upgraded socket for `user_id` until the client leaves or
  // `expires_at` (unix seconds; 0: never) passes.
  Adopted adopt(Poco::Net::WebSocket ws, const std::string& user_id, long long expires_at);
  // The same for the token's whole principal: the stream also ends when that
  // token is revoked or its user is no longer admitted with its role.
  Adopted adopt(Poco::Net::WebSocket ws, const security::Principal& who);
  // Ends the streams whose session ends (see the file's first comment). Both
  // must outlive this object or be here until it goes (it stops observing them).
  void watch(security::RevocationList& revocations, security::PrincipalCache& principals);
  // Also tells `listener` (on the housekeeping thread) of the sessions that
  // ended: the revoked token ids and the users whose principal changed (""
  // means everyone), so other kinds of stream end with them. Set before watch().
  using SessionListener = std::function<void(const std::vector<std::string>& revoked_jtis,
                                             const std::vector<std::string>& changed_users)>;
  void also_tell(SessionListener listener) { also_tell_ = std::move(listener); }
  // Sends {"type":"notification.created","data":<data_json>} to every stream
  // of `user_id`; returns how many streams got it.
  size_t deliver(const std::string& user_id, const std::string& data_json);
  // Subscribes to notification.created on `nats`, retrying in the background
  // until NATS takes the subscription.
  void feed_from(events::NatsClient& nats);

  size_t open_streams() const;
  long long pushed() const { return pushed_; }

private:
  struct Stream;
  Adopted adopt(std::shared_ptr<Stream> stream);
  void on_message(const char* data, int len);
  // Sends a close frame (1008, `why`) and ends the stream.
  void close_for(Stream& stream, const std::string& why);
  // What the observers queued: ends the streams of revoked tokens, asks
  // again about the users whose principal changed. Housekeeping thread.
  void end_sessions();
  void read_from(const std::shared_ptr<Stream>& stream);
  void drop(const std::shared_ptr<Stream>& stream);
  bool send(Stream& stream, const std::string& text, int opcode);
  void housekeeping();

  StreamsConfig config_;
  Poco::Net::SocketReactor reactor_;
  Poco::Thread reactor_thread_;
  std::thread housekeeper_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  // Queued by the observers for the housekeeping thread.
  std::mutex pending_mutex_;
  std::vector<std::string> revoked_jtis_;
  std::vector<std::string> changed_users_; // "" means everyone
  std::atomic<bool> pending_{false};
  SessionListener also_tell_;
  security::RevocationList* revocations_ = nullptr;
  security::PrincipalCache* principals_ = nullptr;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Stream>>> by_user_;
  size_t count_ = 0;
  std::atomic<long long> pushed_{0};
  events::NatsClient* nats_ = nullptr;
  natsSubscription* subscription_ = nullptr;
  std::thread subscriber_;
  static void on_nats_message(natsConnection*, natsSubscription*, natsMsg*, void* closure);
};

} // namespace crm::http
