// NotificationStreams: the live push behind GET /api/notifications/stream.
//
// After the WebSocket upgrade the request thread hands the socket over here
// and returns to the pool, so idle listeners hold no request thread: one
// reactor thread reads every stream (pings, pongs, the client's close), and a
// housekeeping thread pings each stream now and then and closes the ones whose
// access token has expired (the client reconnects with a fresh one).
//
// What is pushed: every `notification.created` event this host sees on NATS
// (a plain subscription, so every host sees every one) goes to the streams of
// the user in its `data.userId`, and to no one else, as one text frame
// {"type":"notification.created","data":{...}}. A new stream first receives
// {"type":"ready","userId":...}. Live push is a convenience on top of
// GET /api/notifications, which stays the record: an event published while
// this host was cut off from NATS is not pushed.
#pragma once

#include <nats/nats.h>

#include <Poco/Net/SocketReactor.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Thread.h>

#include <atomic>
#include <condition_variable>
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
  void on_message(const char* data, int len);
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
