// FrontDoor: crm-host's HTTP/1.1 server. A connection costs a socket and a
// buffer, not a thread, until a whole request has arrived.
//
// One I/O thread owns the listening socket and every connection (epoll,
// edge-triggered). It reads bytes into each connection's RequestReader under
// the deadlines (header, body and its minimum rate, keep-alive idle, write)
// and the caps (connections in total and per client address); a complete
// request goes to a bounded queue served by the worker threads, and when the
// queue is full the client gets 503 with Retry-After at once. A worker runs
// the handler on the buffered request, then writes the reply straight to the
// socket; what the socket does not take at once is left for the I/O thread,
// so a client that reads slowly holds a buffer, never a worker. Requests on a
// connection are served one at a time, so pipelined requests are answered in
// order. Errors the front door answers itself (400, 408, 413, 414, 431, 501,
// 503, 505) close the connection, except 503 for a full queue.
//
// Threads: connections are created and destroyed only on the I/O thread; a
// connection's state is guarded by its own mutex, taken by the I/O thread and
// by the one worker serving its request.
#pragma once

#include "http/ClientAddress.hpp"
#include "http/RequestReader.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace crm::http {

struct FrontDoorConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  int workers = 64;
  size_t max_queued = 512;             // complete requests waiting for a worker
  int retry_after_s = 1;               // in the 503 for a full queue
  ReaderLimits limits;
  double header_timeout_s = 10;        // request line and headers, from the first byte
  double body_timeout_s = 60;          // the whole body, from the end of the headers
  size_t body_min_rate = 1024;         // bytes/s over each 5 s window of a body
  double keep_alive_timeout_s = 30;    // idle between requests
  double write_timeout_s = 30;         // a reply not taken by the client by then is dropped
  double shutdown_timeout_s = 10;      // stop(): how long requests in flight may take
  size_t max_connections = 10000;
  size_t max_connections_per_address = 256;
  bool keep_alive = true;
  int max_keep_alive_requests = 0;     // 0: no limit
  TrustedProxies trusted_proxies;
};

// A request served by the front door may take its connection over once the
// reply is written: a WebSocket upgrade (after a 101), or a reply whose body
// is written later, as it comes (Server-Sent Events: the head goes out
// without a Content-Length, with the handler's Transfer-Encoding: chunked).
// `adopt` runs on the worker, with the socket in blocking mode; the front
// door forgets the connection.
class UpgradableRequest {
public:
  virtual ~UpgradableRequest() = default;
  virtual void upgrade_after_reply(std::function<void(Poco::Net::StreamSocket)> adopt) = 0;
  virtual void stream_after_reply(std::function<void(Poco::Net::StreamSocket)> adopt) = 0;
};

class FrontDoor {
public:
  // Serves one complete request on a worker thread.
  using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;
  // A whole reply (status line to body) for an error the front door answers
  // itself; `head` is the request when its head could be read, else null.
  using ErrorReply = std::function<std::string(int status, const std::string& detail,
                                               const Poco::Net::HTTPRequest* head, int retry_after_s)>;

  FrontDoor(FrontDoorConfig config, Handler handler, ErrorReply error_reply);
  ~FrontDoor(); // stop()

  // Binds and listens (throws when it cannot), then starts the threads.
  void start();
  // Stops accepting, closes idle connections, lets requests in flight finish
  // (up to shutdown_timeout_s), then closes the rest and joins the threads.
  void stop();
  unsigned short port() const { return port_; }

  struct Stats {
    size_t open = 0;
    size_t queued = 0;
    int workers = 0;
    int workers_busy = 0;
    std::map<std::string, long long> refused;  // by cause
    std::map<int, long long> rejected;         // by status
  };
  Stats stats() const;

private:
  struct Connection;
  class Exchange;
  struct Worker;

  void io_loop();
  void worker_loop(Worker& self);
  void accept_all();
  void close_listener();
  void on_event(Connection& c, uint32_t events);
  // Reads until the socket is drained (or the buffer cap), then parses.
  void read_input(Connection& c);
  // Parses buffered input while the connection is free: dispatches a complete
  // request, answers a broken one, sends 100 Continue, sets the deadline.
  void advance(Connection& c);
  // Writes pending output; false when the connection is broken.
  bool flush(Connection& c);
  void reject(Connection& c, int status, const std::string& detail, const Poco::Net::HTTPRequest* head,
              bool close);
  bool dispatch(Connection& c);
  void serve(Connection& c);
  void post(Connection* c); // asks the I/O thread to look at c
  void check_deadlines();
  void set_deadline(Connection& c);
  bool should_close(const Connection& c) const;
  // Closes c now, or after a lingering close when the client may still be sending.
  void finish(Connection& c);
  void drain(Connection& c);
  void destroy(Connection* c, bool close_fd);
  void free_doomed();
  void count_rejected(int status);

  FrontDoorConfig config_;
  Handler handler_;
  ErrorReply error_reply_;
  unsigned short port_ = 0;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int reserve_fd_ = -1; // closed to accept-and-drop when out of descriptors
  std::thread io_thread_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;

  // I/O thread only.
  std::vector<Connection*> connections_;
  std::unordered_map<std::string, size_t> per_address_;
  std::vector<Connection*> doomed_;

  std::mutex posted_mutex_;
  std::vector<Connection*> posted_;

  // A complete request goes to the worker that went idle last (its stack and
  // caches are warm, and the fewest threads stay in play), else to the queue.
  mutable std::mutex queue_mutex_;
  std::vector<std::unique_ptr<Worker>> worker_slots_;
  std::vector<Worker*> idle_; // last in, first out
  std::deque<Connection*> queue_;
  bool workers_stop_ = false;

  std::atomic<size_t> open_{0};
  std::atomic<int> busy_{0};
  mutable std::mutex stats_mutex_;
  std::map<std::string, long long> refused_;
  std::map<int, long long> rejected_;
};

} // namespace crm::http
