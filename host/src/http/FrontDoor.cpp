// FrontDoor: see the header.
#include "http/FrontDoor.hpp"

#include "http/BufferedExchange.hpp"
#include "log/Log.hpp"

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/Net/WebSocketImpl.h>
#include <Poco/String.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace crm::http {

namespace {

using Clock = std::chrono::steady_clock;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

long long ms(double seconds) { return static_cast<long long>(seconds * 1000); }

constexpr size_t kReadChunk = 65536;
constexpr size_t kMaxBufferedInput = 256 * 1024; // read ahead while a request is served
constexpr long long kRateWindowMs = 5000;
constexpr int kTickMs = 250;

const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

} // namespace

// One client connection. Guarded by `mutex` except where noted.
struct FrontDoor::Connection {
  int fd = -1;
  size_t index = 0;            // in connections_ (I/O thread only)
  std::string address_key;     // the peer's address bytes (I/O thread only)
  Poco::Net::SocketAddress peer;
  Poco::Net::SocketAddress local;

  std::mutex mutex;
  RequestReader reader;
  std::string in; // received, not yet given to the reader
  size_t in_pos = 0;
  std::string out; // accepted for writing, not yet taken by the socket
  size_t out_pos = 0;
  bool busy = false;             // a request is queued or with a worker
  bool continue_sent = false;
  bool close_after_write = false;
  bool read_paused = false;      // input buffer full while busy
  bool peer_closed = false;      // the client sent FIN
  bool broken = false;           // a socket error: close as soon as it is free
  bool detached = false;         // handed to a WebSocket owner
  int served = 0;
  long long deadline = 0;        // ms on the steady clock; 0: none
  int deadline_status = 0;       // 408 to answer at the deadline, 0 to close silently
  long long body_window_start = 0;
  size_t body_window_bytes = 0;
  bool had_bytes = false;        // something of the current request arrived
  bool lingering = false;        // replied and shut down for writing; draining what the client still sends
  int posts = 0;                 // posted to the I/O thread, not yet seen there (guarded by posted_mutex_)

  explicit Connection(ReaderLimits limits) : reader(limits) {}
  size_t pending_out() const { return out.size() - out_pos; }
  size_t pending_in() const { return in.size() - in_pos; }
};

// A worker thread's mailbox: the connection handed to it while it waited.
struct FrontDoor::Worker {
  std::condition_variable wake;
  Connection* next = nullptr; // guarded by queue_mutex_
};

FrontDoor::FrontDoor(FrontDoorConfig config, Handler handler, ErrorReply error_reply)
    : config_(std::move(config)), handler_(std::move(handler)), error_reply_(std::move(error_reply)) {}

FrontDoor::~FrontDoor() { stop(); }

void FrontDoor::start() {
  // Many idle connections are the point: take every descriptor we may.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  Poco::Net::SocketAddress address(config_.host, config_.port);
  listen_fd_ = ::socket(address.family() == Poco::Net::SocketAddress::IPv6 ? AF_INET6 : AF_INET,
                        SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, address.addr(), address.length()) != 0 || ::listen(listen_fd_, 4096) != 0) {
    std::string why = std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("cannot listen on " + address.toString() + ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  port_ = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&bound), bound_len).port();

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &wake_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);

  started_ = true;
  for (int i = 0; i < config_.workers; ++i) worker_slots_.push_back(std::make_unique<Worker>());
  for (auto& slot : worker_slots_) workers_.emplace_back([this, w = slot.get()] { worker_loop(*w); });
  io_thread_ = std::thread([this] { io_loop(); });
}

void FrontDoor::stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  io_thread_.join(); // returns once every connection is closed or the deadline passed
  {
    std::lock_guard lock(queue_mutex_);
    workers_stop_ = true;
    for (auto& slot : worker_slots_) slot->wake.notify_one();
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
  worker_slots_.clear();
  idle_.clear();
  while (!connections_.empty()) destroy(connections_.back(), !connections_.back()->detached);
  for (Connection* c : doomed_) delete c; // no thread is left to post
  doomed_.clear();
  for (int* fd : {&epoll_fd_, &wake_fd_, &reserve_fd_})
    if (*fd >= 0) ::close(*fd), *fd = -1;
}

FrontDoor::Stats FrontDoor::stats() const {
  Stats s;
  s.open = open_.load(std::memory_order_relaxed);
  s.workers = config_.workers;
  s.workers_busy = busy_.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(queue_mutex_);
    s.queued = queue_.size();
  }
  std::lock_guard lock(stats_mutex_);
  s.refused = refused_;
  s.rejected = rejected_;
  return s;
}

void FrontDoor::count_rejected(int status) {
  std::lock_guard lock(stats_mutex_);
  ++rejected_[status];
}

// --- the I/O thread --------------------------------------------------------

void FrontDoor::io_loop() {
  std::vector<epoll_event> events(1024);
  long long next_tick = now_ms() + kTickMs;
  long long stop_deadline = 0;
  while (true) {
    int timeout = static_cast<int>(std::max(0LL, next_tick - now_ms()));
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_fd_) {
        accept_all();
      } else if (tag == &wake_fd_) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof count);
      } else {
        on_event(*static_cast<Connection*>(tag), events[i].events);
      }
    }
    std::vector<Connection*> posted;
    {
      std::lock_guard lock(posted_mutex_);
      posted.swap(posted_);
    }
    for (Connection* c : posted) {
      {
        std::lock_guard lock(posted_mutex_);
        --c->posts;
      }
      if (c->index == SIZE_MAX) continue; // destroyed already
      bool detached;
      {
        std::lock_guard lock(c->mutex);
        detached = c->detached;
      }
      if (detached) destroy(c, false);
      else on_event(*c, 0);
    }
    if (now_ms() >= next_tick) {
      next_tick = now_ms() + kTickMs;
      check_deadlines();
    }
    if (stopping_) {
      if (stop_deadline == 0) {
        stop_deadline = now_ms() + ms(config_.shutdown_timeout_s);
        close_listener();
        // Idle connections go now; busy ones close after their reply.
        for (size_t i = connections_.size(); i-- > 0;) on_event(*connections_[i], 0);
      }
      if (connections_.empty() || now_ms() >= stop_deadline) break;
    }
    free_doomed();
  }
  close_listener();
}

void FrontDoor::free_doomed() {
  std::lock_guard lock(posted_mutex_);
  size_t kept = 0;
  for (Connection* c : doomed_) {
    if (c->posts > 0) doomed_[kept++] = c; // a post still names it: next round
    else delete c;
  }
  doomed_.resize(kept);
}

void FrontDoor::close_listener() {
  if (listen_fd_ < 0) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  ::close(listen_fd_);
  listen_fd_ = -1;
}

void FrontDoor::accept_all() {
  while (listen_fd_ >= 0) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
        // Out of descriptors: accept with the reserve and hang up, so the
        // client hears no at once instead of waiting in the backlog.
        ::close(reserve_fd_);
        int dropped = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (dropped >= 0) ::close(dropped);
        reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        std::lock_guard lock(stats_mutex_);
        ++refused_["fd_limit"];
        continue;
      }
      return; // EAGAIN: drained
    }
    std::string key;
    if (peer.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&peer);
      key.assign(reinterpret_cast<const char*>(&a->sin_addr), 4);
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&peer);
      key.assign(reinterpret_cast<const char*>(&a->sin6_addr), 16);
    }
    const char* cause = nullptr;
    if (connections_.size() >= config_.max_connections) cause = "max_connections";
    else if (per_address_[key] >= config_.max_connections_per_address) cause = "max_per_address";
    if (cause || stopping_) {
      // Refused cheaply: a reset, no reply, no buffer.
      linger hard{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
      ::close(fd);
      if (cause) {
        std::lock_guard lock(stats_mutex_);
        ++refused_[cause];
      }
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Connection(config_.limits);
    c->fd = fd;
    c->address_key = std::move(key);
    c->peer = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&peer), peer_len);
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len);
    c->local = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&local), local_len);
    c->index = connections_.size();
    connections_.push_back(c);
    ++per_address_[c->address_key];
    open_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(c->mutex);
      set_deadline(*c);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void FrontDoor::on_event(Connection& c, uint32_t events) {
  enum { Keep, Finish, Destroy } verdict = Keep;
  {
    std::lock_guard lock(c.mutex);
    if (c.detached) return;
    if (c.lingering) {
      drain(c);
      if (c.broken) verdict = Destroy;
    } else {
      if (events & (EPOLLERR | EPOLLHUP)) c.broken = true;
      if (!c.broken && (events & EPOLLOUT) && c.pending_out() > 0 && !flush(c)) c.broken = true;
      if (!c.broken && (events == 0 || (events & (EPOLLIN | EPOLLRDHUP)) || c.read_paused)) read_input(c);
      if (!c.broken) advance(c);
      if (should_close(c)) verdict = Finish;
    }
  }
  if (verdict == Destroy) destroy(&c, true);
  else if (verdict == Finish) finish(c);
}

void FrontDoor::finish(Connection& c) {
  // A client still sending (a body we refused) would get a reset that can
  // destroy the reply before it is read: shut down our side and drain its
  // bytes for a moment first.
  bool linger = false;
  {
    std::lock_guard lock(c.mutex);
    if (!c.broken && !c.peer_closed && !c.lingering && c.close_after_write && ::shutdown(c.fd, SHUT_WR) == 0) {
      c.lingering = true;
      c.deadline = now_ms() + 2000;
      c.deadline_status = 0;
      linger = true;
    }
  }
  if (!linger) destroy(&c, true);
}

void FrontDoor::drain(Connection& c) {
  char buffer[kReadChunk];
  while (true) {
    ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) c.broken = true;
    return;
  }
}

bool FrontDoor::should_close(const Connection& c) const {
  if (c.busy) return false;
  if (c.broken) return true;
  if (c.pending_out() > 0) return false;
  if (c.close_after_write) return true;
  // A client that half-closed gets the replies to what it sent, then we close.
  if (c.peer_closed && c.pending_in() == 0) return true;
  if (stopping_ && c.reader.idle() && c.pending_in() == 0) return true;
  return false;
}

void FrontDoor::read_input(Connection& c) {
  if (c.peer_closed) return;
  c.read_paused = false;
  char buffer[kReadChunk];
  while (true) {
    if (c.busy && c.pending_in() >= kMaxBufferedInput) {
      c.read_paused = true; // resumed when the request in flight is answered
      return;
    }
    ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      if (c.in_pos == c.in.size()) {
        c.in.clear();
        c.in_pos = 0;
      }
      c.in.append(buffer, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buffer) {
        // Probably drained; one more recv would say EAGAIN. Edge-triggered
        // epoll reports the next bytes anyway, so stop here.
        return;
      }
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.broken = true;
    return;
  }
}

void FrontDoor::advance(Connection& c) {
  while (!c.busy && !c.broken && !c.close_after_write && c.pending_out() == 0) {
    if (c.pending_in() == 0) {
      if (c.peer_closed && !c.reader.idle()) {
        c.broken = true; // the client left half way through a request
        return;
      }
      set_deadline(c);
      return;
    }
    size_t before_body = c.reader.body_received();
    size_t used = c.reader.feed(c.in.data() + c.in_pos, c.pending_in());
    c.in_pos += used;
    if (used > 0 && !c.had_bytes) {
      c.had_bytes = true;
      c.deadline = 0; // set again below for the phase the request is in
    }
    c.body_window_bytes += c.reader.body_received() - before_body;
    if (c.in_pos == c.in.size()) {
      c.in.clear();
      c.in_pos = 0;
    } else if (c.in_pos > 65536) {
      c.in.erase(0, c.in_pos);
      c.in_pos = 0;
    }
    using S = RequestReader::Status;
    if (c.reader.status() == S::Failed) {
      reject(c, c.reader.error_status(), c.reader.error_detail(),
             c.reader.head_parsed() ? &c.reader.head() : nullptr, true);
      return;
    }
    if (c.reader.status() == S::NeedMore) {
      if (c.reader.expects_continue() && !c.continue_sent) {
        c.continue_sent = true;
        c.out.append(kContinue, sizeof kContinue - 1);
        if (!flush(c)) c.broken = true;
      }
      set_deadline(c);
      if (c.pending_out() > 0) return; // the 100 is still on its way
      continue;
    }
    // Complete.
    if (!dispatch(c)) continue; // answered 503 at once; the next request may follow
    return;
  }
}

bool FrontDoor::dispatch(Connection& c) {
  Worker* handed = nullptr;
  bool queued = false;
  {
    std::lock_guard lock(queue_mutex_);
    if (!workers_stop_ && !idle_.empty()) {
      handed = idle_.back();
      idle_.pop_back();
      handed->next = &c;
    } else if (queue_.size() < config_.max_queued && !workers_stop_) {
      queue_.push_back(&c);
      queued = true;
    }
    if (handed || queued) {
      c.busy = true; // before unlocking: the worker may start on c at once
      c.deadline = 0;
    }
  }
  if (handed) handed->wake.notify_one(); // workers outlive every dispatch
  if (c.busy) return true;
  reject(c, 503, "the server is busy; retry after " + std::to_string(config_.retry_after_s) + " s", &c.reader.head(),
         false);
  return false;
}

void FrontDoor::reject(Connection& c, int status, const std::string& detail, const Poco::Net::HTTPRequest* head,
                       bool close) {
  count_rejected(status);
  std::string reply = error_reply_(status, detail, head, status == 503 ? config_.retry_after_s : 0);
  if (close) c.close_after_write = true;
  c.out.append(reply);
  c.reader.reset();
  c.continue_sent = false;
  c.had_bytes = false;
  if (!flush(c)) c.broken = true;
  set_deadline(c);
}

bool FrontDoor::flush(Connection& c) {
  while (c.pending_out() > 0) {
    ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.pending_out(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (c.deadline == 0 || c.deadline_status != 0) {
        c.deadline = now_ms() + ms(config_.write_timeout_s);
        c.deadline_status = 0;
      }
      return true;
    }
    return false;
  }
  c.out.clear();
  c.out_pos = 0;
  return true;
}

void FrontDoor::set_deadline(Connection& c) {
  const long long now = now_ms();
  if (c.busy) {
    c.deadline = 0;
  } else if (c.pending_out() > 0) {
    if (c.deadline == 0) c.deadline = now + ms(config_.write_timeout_s);
    c.deadline_status = 0;
  } else if (!c.had_bytes && c.reader.idle()) {
    // Between requests: the keep-alive idle timeout (a new connection gets
    // the header deadline to send its first request).
    if (c.deadline == 0) c.deadline = now + ms(c.served == 0 ? config_.header_timeout_s : config_.keep_alive_timeout_s);
    c.deadline_status = 0;
  } else if (!c.reader.head_complete()) {
    if (c.deadline == 0 || c.deadline_status != 408) c.deadline = now + ms(config_.header_timeout_s);
    c.deadline_status = 408;
  } else if (c.body_window_start == 0) {
    // The head is in: the whole body has its own deadline, checked with the rate.
    c.body_window_start = now;
    c.body_window_bytes = 0;
    c.deadline = now + ms(config_.body_timeout_s);
    c.deadline_status = 408;
  }
}

void FrontDoor::check_deadlines() {
  const long long now = now_ms();
  for (size_t i = connections_.size(); i-- > 0;) {
    Connection* c = connections_[i];
    enum { Keep, Finish, Destroy } verdict = Keep;
    {
      std::lock_guard lock(c->mutex);
      if (c->busy || c->detached) continue;
      bool expired = c->deadline != 0 && now >= c->deadline;
      if (c->lingering) {
        if (expired) verdict = Destroy;
      } else {
        // The body's minimum rate, over windows of kRateWindowMs.
        if (!expired && c->body_window_start != 0 && c->reader.head_complete() &&
            c->reader.status() == RequestReader::Status::NeedMore && now - c->body_window_start >= kRateWindowMs) {
          if (c->body_window_bytes * 1000 < config_.body_min_rate * static_cast<size_t>(now - c->body_window_start))
            expired = true;
          c->body_window_start = now;
          c->body_window_bytes = 0;
        }
        if (expired) {
          if (c->deadline_status == 408 && c->pending_out() == 0) {
            const bool body = c->reader.head_complete();
            reject(*c, 408, body ? "the body did not arrive in time" : "the request header did not arrive in time",
                   body ? &c->reader.head() : nullptr, true);
          } else {
            c->broken = true; // idle past keep-alive, or a reply the client does not take
          }
          if (should_close(*c)) {
            verdict = Finish;
          } else {
            // A 408 waiting on a client that does not read: a short while more.
            c->deadline = now + 1000;
            c->deadline_status = 0;
          }
        }
      }
    }
    if (verdict == Destroy) destroy(c, true);
    else if (verdict == Finish) finish(*c);
  }
}

void FrontDoor::destroy(Connection* c, bool close_fd) {
  if (c->index == SIZE_MAX) return;
  // Swap-remove from the list the deadline scan walks.
  Connection* last = connections_.back();
  connections_[c->index] = last;
  last->index = c->index;
  connections_.pop_back();
  c->index = SIZE_MAX;
  auto it = per_address_.find(c->address_key);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (close_fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
    ::close(c->fd);
  }
  doomed_.push_back(c); // freed after this round's events, which may still name it
}

void FrontDoor::post(Connection* c) {
  bool first;
  {
    std::lock_guard lock(posted_mutex_);
    first = posted_.empty();
    posted_.push_back(c);
    ++c->posts;
  }
  if (first) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

// --- workers ---------------------------------------------------------------

void FrontDoor::worker_loop(Worker& self) {
  std::unique_lock lock(queue_mutex_);
  while (true) {
    Connection* c = nullptr;
    if (self.next) {
      c = std::exchange(self.next, nullptr);
    } else if (!queue_.empty()) {
      c = queue_.front();
      queue_.pop_front();
    } else if (workers_stop_) {
      return; // the queue is drained
    } else {
      // Nothing queued, so no request waits while a worker is idle: dispatch
      // hands to an idle worker before it queues.
      idle_.push_back(&self);
      self.wake.wait(lock, [&] { return self.next != nullptr || workers_stop_; });
      if (!self.next) std::erase(idle_, &self);
      continue;
    }
    lock.unlock();
    busy_.fetch_add(1, std::memory_order_relaxed);
    serve(*c);
    busy_.fetch_sub(1, std::memory_order_relaxed);
    lock.lock();
  }
}

void FrontDoor::serve(Connection& c) {
  // While busy, the I/O thread touches neither the reader nor the output, so
  // the request is read here without the lock.
  Poco::Net::HTTPRequest& head = c.reader.head();
  const bool keep_requested = head.getKeepAlive();
  const bool http10 = head.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0;
  const bool head_only = head.getMethod() == "HEAD";
  Poco::Net::IPAddress client = config_.trusted_proxies.client_of(c.peer.host(), head);
  static const Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;

  BufferedResponse response;
  BufferedRequest request(head, c.reader.body(), Poco::Net::SocketAddress(client, c.peer.port()), c.local, *params,
                          response);
  try {
    handler_(request, response);
  } catch (const std::exception& e) {
    log::error("http", std::string("handler failed: ") + e.what(), {});
    response.clear();
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
    response.setContentType("application/problem+json");
    static const std::string body = R"({"status":500,"title":"Internal Server Error","detail":"internal error"})";
    response.sendBuffer(body.data(), body.size());
  }

  auto& adopt = request.adopter();
  const bool websocket = adopt && response.getStatus() == Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS;
  const bool streaming = adopt && !websocket && request.streams_body() && !head_only;
  const bool upgrading = websocket || streaming;
  const bool handler_closes = Poco::icompare(response.get("Connection", ""), "close") == 0;
  bool keep = keep_requested && !handler_closes && config_.keep_alive && !stopping_ &&
              (config_.max_keep_alive_requests == 0 || c.served + 1 < config_.max_keep_alive_requests);
  std::string bytes = response.serialize(head_only, keep, http10, streaming);

  bool need_io = false;
  int fd = -1;
  {
    std::lock_guard lock(c.mutex);
    ++c.served;
    c.reader.reset();
    c.continue_sent = false;
    c.had_bytes = false;
    c.body_window_start = 0;
    c.deadline = 0;
    if (!c.broken) {
      if (c.out.empty()) c.out.swap(bytes);
      else c.out.append(bytes);
      if (!flush(c)) c.broken = true;
    }
    if (upgrading && !c.broken) {
      // The 101 (or the streamed reply's head) must be out before the socket changes hands.
      while (c.pending_out() > 0 && !c.broken) {
        pollfd p{c.fd, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(ms(config_.write_timeout_s))) <= 0 || !flush(c)) c.broken = true;
      }
      if (!c.broken) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
        c.detached = true;
        fd = c.fd;
      }
    }
    if (!keep && !upgrading) c.close_after_write = true;
    c.busy = false;
    if (!c.detached) set_deadline(c);
    need_io = c.detached || c.broken || c.close_after_write || c.read_paused || c.peer_closed || c.pending_in() > 0 ||
              stopping_;
    // Posted while c is still locked and marked, so the I/O thread cannot
    // free it in between; once unlocked, c may be gone: touch nothing after.
    if (need_io) post(&c);
  }
  if (fd < 0) return;

  // The WebSocket's owner takes the socket in blocking mode.
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  try {
    Poco::Net::StreamSocket plain(new Poco::Net::StreamSocketImpl(fd));
    if (streaming) {
      adopt(plain);
      return;
    }
    Poco::Net::HTTPServerSession session(plain, params);
    auto* impl = new Poco::Net::WebSocketImpl(static_cast<Poco::Net::StreamSocketImpl*>(plain.impl()), session, false);
    Poco::Net::StreamSocket ws_socket(impl);
    session.detachSocket(); // the session must not close what the WebSocket now owns
    adopt(ws_socket);
  } catch (const std::exception& e) {
    log::warn("http", std::string(streaming ? "stream" : "WebSocket") + " hand-over failed: " + e.what(), {});
  }
}

} // namespace crm::http
