// PluginStreams: see the header.
#include "http/PluginStream.hpp"

#include "events/NatsClient.hpp"
#include "log/Log.hpp"
#include "plugins/Invoker.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/WebSocket.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace crm::http {

using Poco::Net::WebSocket;

namespace {

constexpr size_t kDeliveryThreads = 2;
// An Opening keeps at most this many events; past it the stream asks its
// handler again (a catch-up) instead.
constexpr size_t kMaxHeard = 10000;

} // namespace

struct PluginStreams::Heard {
  std::string type, subject;
  Poco::JSON::Object::Ptr data; // only read from here on (by the threads adopting streams)
  std::shared_ptr<const std::string> data_json;
};

class PluginStreams::Opening {
public:
  void hear(const std::shared_ptr<const Heard>& h) {
    std::lock_guard lock(mutex_);
    if (heard_.size() < kMaxHeard)
      heard_.push_back(h);
    else
      overflowed_ = true;
  }
  // What was heard, and whether some was lost; stops collecting.
  std::vector<std::shared_ptr<const Heard>> take(bool& overflowed) {
    std::lock_guard lock(mutex_);
    overflowed = overflowed_;
    return std::move(heard_);
  }

private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<const Heard>> heard_;
  bool overflowed_ = false;
};

PluginStreams::PluginStreams(StreamsConfig config, plugins::Invoker& invoker) : config_(config), invoker_(invoker) {
  reactor_thread_.setName("plugin-streams");
  reactor_thread_.start(reactor_);
  housekeeper_ = std::thread([this] { housekeeping(); });
  for (size_t i = 0; i < kDeliveryThreads; ++i) deliverers_.emplace_back([this] { deliver_loop(); });
}

PluginStreams::~PluginStreams() {
  {
    std::lock_guard lock(nats_mutex_);
    for (auto& [type, sub] : subscriptions_) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
    subscriptions_.clear();
  }
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  { std::lock_guard lock(ready_mutex_); }
  ready_cv_.notify_all();
  housekeeper_.join();
  for (auto& t : deliverers_) t.join();
  auto all = all_streams();
  // A WebSocket client is told we are going away; an SSE response is cut
  // short (no last chunk), so its client reconnects with Last-Event-ID.
  for (auto& s : all) {
    std::lock_guard lock(s->send_mutex);
    try {
      if (s->kind == Kind::WebSocket)
        WebSocket(s->socket).shutdown(WebSocket::WS_ENDPOINT_GOING_AWAY, "the host is stopping");
      else
        s->socket.shutdown();
    } catch (const std::exception&) {
    }
  }
  reactor_.stop();
  reactor_thread_.join();
  for (auto& s : all) {
    reactor_.removeEventHandler(s->socket, s->observer());
    try {
      s->socket.close();
    } catch (const std::exception&) {
    }
  }
}

void PluginStreams::feed_from(events::NatsClient& nats) {
  std::lock_guard lock(nats_mutex_);
  nats_ = &nats;
}

bool PluginStreams::has_room(const std::string& user_id) const {
  std::shared_lock lock(mutex_);
  auto it = per_user_.find(user_id);
  return count_ < config_.max_streams && (it == per_user_.end() || it->second < config_.max_per_user);
}

std::shared_ptr<PluginStreams::Opening> PluginStreams::begin_opening() {
  auto opening = std::make_shared<Opening>();
  std::lock_guard lock(openings_mutex_);
  openings_.erase(std::remove_if(openings_.begin(), openings_.end(), [](auto& w) { return w.expired(); }),
                  openings_.end());
  openings_.push_back(opening);
  opening_count_ = openings_.size();
  return opening;
}

bool PluginStreams::follow(const std::vector<std::string>& types, bool& fresh) {
  fresh = false;
  std::lock_guard lock(nats_mutex_);
  if (!nats_ || !nats_->connection() || !nats_->connected()) {
    for (const auto& t : types)
      if (!subscriptions_.count(t)) return false;
    return true;
  }
  for (const auto& t : types) {
    if (subscriptions_.count(t)) continue;
    natsSubscription* sub = nullptr;
    const std::string subject = nats_->config().subject_for(t);
    if (natsConnection_Subscribe(&sub, nats_->connection(), subject.c_str(), &PluginStreams::on_nats_message, this) !=
        NATS_OK)
      return false;
    // The server has the subscription once the flush returns: later events reach us.
    natsConnection_FlushTimeout(nats_->connection(), 2000);
    subscriptions_[t] = sub;
    fresh = true;
    log::info("http", "following " + subject + " for plugin streams", {});
  }
  return true;
}

plugins::Outcome PluginStreams::call(const Caller& caller, std::optional<long long> after) {
  const std::string input = input_after(caller.input, after);
  plugins::Invocation inv;
  inv.op = caller.op;
  inv.input = input;
  inv.principal = &caller.principal;
  inv.request_id = caller.request_id.c_str();
  inv.trace_id = caller.request_id.c_str();
  inv.client_ip = caller.client_ip.c_str();
  inv.path = caller.path;
  return invoker_.invoke(inv);
}

void PluginStreams::adopt(Poco::Net::StreamSocket socket, Kind kind, Caller caller, StreamReply first,
                          std::optional<long long> last, std::shared_ptr<Opening> opening, bool catch_up_first) {
  StreamFollow follow = first.follow.value_or(StreamFollow{});
  auto s = std::make_shared<Stream>(*this, std::move(socket), kind, std::move(caller), std::move(follow), last);
  s->socket.setSendTimeout(Poco::Timespan(0, config_.send_timeout_ms * 1000));
  s->socket.setReceiveTimeout(Poco::Timespan(1, 0));
  const std::string& user = s->caller.principal.id;
  {
    std::unique_lock lock(mutex_);
    if (!first.done && (count_ >= config_.max_streams || per_user_[user] >= config_.max_per_user)) {
      if (per_user_[user] == 0) per_user_.erase(user);
      lock.unlock();
      close_for(*s, 1008, "too many open streams");
      try {
        s->socket.close();
      } catch (const std::exception&) {
      }
      return;
    }
    streams_.push_back(s);
    ++per_user_[user];
    ++count_;
  }
  reactor_.addEventHandler(s->socket, s->observer());
  if (!send_frames(*s, first.frames, true)) return;
  if (first.done) {
    finish(*s);
    return;
  }
  {
    std::unique_lock lock(mutex_);
    for (const auto& t : s->follow.types) index_[t][s->follow.subject].push_back(s);
    s->registered = true;
  }
  // Events heard while the handler ran, in the order heard, before any the
  // index brings from now on (duplicates are skipped by id).
  bool overflowed = false;
  std::vector<StreamFrame> heard;
  if (opening) {
    for (const auto& h : opening->take(overflowed))
      if (h->subject == s->follow.subject &&
          std::find(s->follow.types.begin(), s->follow.types.end(), h->type) != s->follow.types.end())
        heard.push_back(frame_of_event(h->type, h->data, h->data_json, s->follow));
    opening.reset();
  }
  if ((catch_up_first || overflowed) && !catch_up(*s)) return;
  enqueue(s, std::move(heard), true);
  // adopt() held the stream as scheduled: hand it to the delivery threads.
  std::lock_guard lock(s->queue_mutex);
  if (s->queue.empty()) {
    s->scheduled = false;
  } else {
    std::lock_guard ready_lock(ready_mutex_);
    ready_.push_back(s);
    ready_cv_.notify_one();
  }
}

size_t PluginStreams::open_streams() const { return count_; }

void PluginStreams::on_nats_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<PluginStreams*>(closure);
  if (self->count_ > 0 || self->opening_count_ > 0) self->on_event(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

void PluginStreams::on_event(const char* data, int len) {
  auto heard = std::make_shared<Heard>();
  try {
    Poco::JSON::Parser parser;
    auto envelope = parser.parse(std::string(data, static_cast<size_t>(len))).extract<Poco::JSON::Object::Ptr>();
    heard->type = envelope->optValue<std::string>("type", "");
    heard->subject = envelope->optValue<std::string>("subject", "");
    heard->data = envelope->getObject("data");
    std::ostringstream out;
    if (heard->data)
      Poco::JSON::Stringifier::condense(heard->data, out);
    else
      out << "null";
    heard->data_json = std::make_shared<const std::string>(out.str());
  } catch (const std::exception& e) {
    log::warn("http", std::string("an event that is not one: ") + e.what(), {});
    return;
  }
  std::vector<std::shared_ptr<Stream>> targets;
  {
    std::shared_lock lock(mutex_);
    auto by_type = index_.find(heard->type);
    if (by_type != index_.end()) {
      auto by_subject = by_type->second.find(heard->subject);
      if (by_subject != by_type->second.end()) targets = by_subject->second;
    }
  }
  // Frames are made here, on this one thread, while the parsed data is shared
  // by no one else.
  for (auto& s : targets) enqueue(s, {frame_of_event(heard->type, heard->data, heard->data_json, s->follow)}, false);
  if (opening_count_ > 0) {
    std::shared_ptr<const Heard> kept = heard;
    std::lock_guard lock(openings_mutex_);
    openings_.erase(std::remove_if(openings_.begin(), openings_.end(),
                                   [&kept](auto& w) {
                                     auto o = w.lock();
                                     if (o) o->hear(kept);
                                     return !o;
                                   }),
                    openings_.end());
    opening_count_ = openings_.size();
  }
}

void PluginStreams::enqueue(const std::shared_ptr<Stream>& s, std::vector<StreamFrame> frames, bool front) {
  if (frames.empty() || s->ended) return;
  std::lock_guard lock(s->queue_mutex);
  if (front)
    s->queue.insert(s->queue.begin(), frames.begin(), frames.end());
  else
    s->queue.insert(s->queue.end(), frames.begin(), frames.end());
  if (s->scheduled) return;
  s->scheduled = true;
  std::lock_guard ready_lock(ready_mutex_);
  ready_.push_back(s);
  ready_cv_.notify_one();
}

void PluginStreams::deliver_loop() {
  std::unique_lock lock(ready_mutex_);
  for (;;) {
    ready_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    auto s = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    deliver(*s);
    lock.lock();
  }
}

void PluginStreams::deliver(Stream& s) {
  for (;;) {
    std::vector<StreamFrame> batch;
    {
      std::lock_guard lock(s.queue_mutex);
      if (s.queue.empty() || s.ended) {
        s.queue.clear();
        s.scheduled = false;
        return;
      }
      batch.assign(s.queue.begin(), s.queue.end());
      s.queue.clear();
    }
    for (const auto& frame : batch) {
      if (!frame.id) continue; // an event without an id cannot be placed in the stream
      if (s.last && *frame.id <= *s.last) continue;
      if (s.last && *frame.id > *s.last + 1) {
        if (!catch_up(s)) return;
        if (s.last && *frame.id <= *s.last) continue;
      }
      if (!send_frames(s, {frame}, true)) return;
    }
  }
}

bool PluginStreams::send_frames(Stream& s, const std::vector<StreamFrame>& frames, bool all) {
  for (const auto& frame : frames) {
    if (!all && frame.id && s.last && *frame.id <= *s.last) continue;
    if (!send_text(s, s.kind == Kind::WebSocket ? websocket_text(frame) : event_stream_text(frame))) return false;
    pushed_.fetch_add(1, std::memory_order_relaxed);
    if (frame.id && (!s.last || *frame.id > *s.last)) s.last = frame.id;
    if (frame.final) {
      finish(s);
      return false;
    }
  }
  return true;
}

bool PluginStreams::catch_up(Stream& s) {
  plugins::Outcome outcome = call(s.caller, s.last);
  if (outcome.status != CRM_OK) {
    // The caller may no longer see what it follows (404, 403), or the plugin
    // cannot answer now: the client reconnects and is answered as usual.
    log::info("http", "a plugin stream ends: its handler refused a catch-up: " + outcome.message,
              {{"operation", s.caller.op->name}, {"user_id", s.caller.principal.id}});
    close_for(s, outcome.status == CRM_E_UNAVAILABLE || outcome.status == CRM_E_INTERNAL ? 1011 : 1008,
              "the stream cannot go on: " + outcome.message);
    return false;
  }
  std::string why;
  auto reply = parse_stream_reply(outcome.body, why);
  if (!reply) {
    log::error("http", "a stream handler's catch-up reply is not a stream's: " + why,
               {{"operation", s.caller.op->name}});
    close_for(s, 1011, "the stream's handler failed");
    return false;
  }
  if (!send_frames(s, reply->frames, false)) return false;
  if (reply->done) {
    finish(s);
    return false;
  }
  return true;
}

} // namespace crm::http
