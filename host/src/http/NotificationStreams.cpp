// NotificationStreams: see the header.
#include "http/NotificationStreams.hpp"

#include "events/NatsClient.hpp"
#include "log/Log.hpp"
#include "security/PrincipalCache.hpp"
#include "security/RevocationList.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NObserver.h>
#include <Poco/Net/SocketNotification.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace crm::http {

using Poco::Net::WebSocket;

struct NotificationStreams::Stream : std::enable_shared_from_this<Stream> {
  Stream(NotificationStreams& owner, WebSocket ws, std::string user_id, long long expires_at, std::string role = {},
         std::string jti = {})
      : owner(owner), ws(std::move(ws)), user_id(std::move(user_id)), expires_at(expires_at), role(std::move(role)),
        jti(std::move(jti)) {}

  void on_readable(const Poco::AutoPtr<Poco::Net::ReadableNotification>&) { owner.read_from(shared_from_this()); }
  Poco::NObserver<Stream, Poco::Net::ReadableNotification> observer() {
    return Poco::NObserver<Stream, Poco::Net::ReadableNotification>(*this, &Stream::on_readable);
  }
  // Makes the reactor see the end of the stream, which then drops it; safe
  // from any thread.
  void end() {
    if (ended.exchange(true)) return;
    try {
      ws.shutdown();
    } catch (const std::exception&) {
    }
  }

  NotificationStreams& owner;
  WebSocket ws;
  const std::string user_id;
  const long long expires_at;
  const std::string role; // the token's; empty: not known, the user is not asked again
  const std::string jti;  // the token's id; empty: not known
  std::mutex send_mutex;
  std::atomic<bool> ended{false};
  bool dropped = false; // reactor thread only
};

NotificationStreams::NotificationStreams(StreamsConfig config) : config_(config) {
  reactor_thread_.setName("ws-reactor");
  reactor_thread_.start(reactor_);
  housekeeper_ = std::thread([this] { housekeeping(); });
}

NotificationStreams::~NotificationStreams() {
  if (revocations_) revocations_->observe(nullptr);
  if (principals_) principals_->observe(nullptr);
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (subscriber_.joinable()) subscriber_.join();
  if (subscription_) {
    natsSubscription_Unsubscribe(subscription_);
    natsSubscription_Destroy(subscription_);
  }
  housekeeper_.join();
  // Tell every client we are going away, then stop reading.
  std::vector<std::shared_ptr<Stream>> all;
  {
    std::unique_lock lock(mutex_);
    for (auto& [user, streams] : by_user_) all.insert(all.end(), streams.begin(), streams.end());
  }
  for (auto& s : all) {
    std::lock_guard lock(s->send_mutex);
    try {
      s->ws.shutdown(WebSocket::WS_ENDPOINT_GOING_AWAY, "the host is stopping");
    } catch (const std::exception&) {
    }
  }
  reactor_.stop();
  reactor_thread_.join();
  for (auto& s : all) {
    reactor_.removeEventHandler(s->ws, s->observer());
    try {
      s->ws.close();
    } catch (const std::exception&) {
    }
  }
}

NotificationStreams::Adopted NotificationStreams::adopt(WebSocket ws, const std::string& user_id,
                                                        long long expires_at) {
  return adopt(std::make_shared<Stream>(*this, std::move(ws), user_id, expires_at));
}

NotificationStreams::Adopted NotificationStreams::adopt(WebSocket ws, const security::Principal& who) {
  return adopt(std::make_shared<Stream>(*this, std::move(ws), who.id, who.expires_at, who.role, who.jti));
}

NotificationStreams::Adopted NotificationStreams::adopt(std::shared_ptr<Stream> stream) {
  const std::string& user_id = stream->user_id;
  {
    std::unique_lock lock(mutex_);
    auto& mine = by_user_[user_id];
    if (count_ >= config_.max_streams || mine.size() >= config_.max_per_user) {
      if (mine.empty()) by_user_.erase(user_id);
      lock.unlock();
      try {
        stream->ws.shutdown(WebSocket::WS_POLICY_VIOLATION, "too many open streams");
        stream->ws.close();
      } catch (const std::exception&) {
      }
      return Adopted::TooMany;
    }
    mine.push_back(stream);
    ++count_;
  }
  stream->ws.setSendTimeout(Poco::Timespan(0, config_.send_timeout_ms * 1000));
  stream->ws.setReceiveTimeout(Poco::Timespan(1, 0)); // a frame arrives whole or the stream goes
  std::string ready = R"({"type":"ready","userId":")" + user_id + "\"}";
  send(*stream, ready, WebSocket::FRAME_TEXT);
  reactor_.addEventHandler(stream->ws, stream->observer());
  return Adopted::Yes;
}

bool NotificationStreams::send(Stream& stream, const std::string& text, int opcode) {
  if (stream.ended) return false;
  try {
    std::lock_guard lock(stream.send_mutex);
    stream.ws.sendFrame(text.data(), static_cast<int>(text.size()), int(WebSocket::FRAME_FLAG_FIN) | opcode);
    return true;
  } catch (const std::exception& e) {
    log::info("http", std::string("notification stream dropped: ") + e.what(), {{"user_id", stream.user_id}});
    stream.end();
    return false;
  }
}

void NotificationStreams::read_from(const std::shared_ptr<Stream>& stream) {
  char buffer[1024];
  int flags = 0;
  int n = 0;
  try {
    n = stream->ws.receiveFrame(buffer, sizeof buffer, flags);
  } catch (const std::exception&) {
    drop(stream);
    return;
  }
  const int op = flags & WebSocket::FRAME_OP_BITMASK;
  if ((n == 0 && flags == 0) || op == WebSocket::FRAME_OP_CLOSE) {
    if (op == WebSocket::FRAME_OP_CLOSE && !stream->ended) {
      std::lock_guard lock(stream->send_mutex);
      try {
        stream->ws.sendFrame(buffer, n, int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_CLOSE));
      } catch (const std::exception&) {
      }
    }
    drop(stream);
    return;
  }
  if (op == WebSocket::FRAME_OP_PING) send(*stream, std::string(buffer, static_cast<size_t>(n)), WebSocket::FRAME_OP_PONG);
  // Anything else the client sends (pongs, text) means nothing here.
}

void NotificationStreams::drop(const std::shared_ptr<Stream>& stream) {
  if (stream->dropped) return;
  stream->dropped = true;
  stream->ended = true;
  reactor_.removeEventHandler(stream->ws, stream->observer());
  {
    std::unique_lock lock(mutex_);
    auto it = by_user_.find(stream->user_id);
    if (it != by_user_.end()) {
      auto& v = it->second;
      for (size_t i = 0; i < v.size(); ++i)
        if (v[i] == stream) {
          v.erase(v.begin() + static_cast<long>(i));
          --count_;
          break;
        }
      if (v.empty()) by_user_.erase(it);
    }
  }
  std::lock_guard lock(stream->send_mutex);
  try {
    stream->ws.close();
  } catch (const std::exception&) {
  }
}

size_t NotificationStreams::deliver(const std::string& user_id, const std::string& data_json) {
  std::vector<std::shared_ptr<Stream>> targets;
  {
    std::shared_lock lock(mutex_);
    auto it = by_user_.find(user_id);
    if (it == by_user_.end()) return 0;
    targets = it->second;
  }
  std::string frame;
  frame.reserve(data_json.size() + 48);
  frame += R"({"type":"notification.created","data":)";
  frame += data_json;
  frame += '}';
  size_t sent = 0;
  for (auto& s : targets)
    if (send(*s, frame, WebSocket::FRAME_TEXT)) ++sent;
  pushed_ += static_cast<long long>(sent);
  return sent;
}

size_t NotificationStreams::open_streams() const {
  std::shared_lock lock(mutex_);
  return count_;
}

void NotificationStreams::housekeeping() {
  auto last_ping = std::chrono::steady_clock::now();
  std::unique_lock stop_lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(stop_lock, std::chrono::seconds(1), [this] { return stopping_ || pending_.load(); });
    if (stopping_) break;
    if (pending_) end_sessions();
    const auto now = std::chrono::steady_clock::now();
    const bool ping = now - last_ping >= std::chrono::seconds(config_.ping_seconds);
    if (ping) last_ping = now;
    const long long unix_now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::shared_ptr<Stream>> all;
    {
      std::shared_lock lock(mutex_);
      for (auto& [user, streams] : by_user_) all.insert(all.end(), streams.begin(), streams.end());
    }
    for (auto& s : all) {
      if (s->expires_at > 0 && unix_now >= s->expires_at) close_for(*s, "the access token has expired");
      else if (ping) send(*s, "", WebSocket::FRAME_OP_PING);
    }
  }
}

void NotificationStreams::close_for(Stream& s, const std::string& why) {
  if (s.ended) return;
  {
    std::lock_guard lock(s.send_mutex);
    try {
      // 1008: policy violation; the client signs in again and reconnects.
      std::string payload{char(0x03), char(0xF0)};
      payload += why;
      s.ws.sendFrame(payload.data(), static_cast<int>(payload.size()),
                     int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_CLOSE));
    } catch (const std::exception&) {
    }
  }
  s.end();
}

void NotificationStreams::watch(security::RevocationList& revocations, security::PrincipalCache& principals) {
  revocations_ = &revocations;
  principals_ = &principals;
  // Both observers run on the thread that learnt of the change (the LISTEN
  // connection's, or a request's): they only queue it for housekeeping.
  revocations.observe([this](const std::string& jti) {
    if (open_streams() == 0 && !also_tell_) return;
    std::lock_guard lock(pending_mutex_);
    revoked_jtis_.push_back(jti);
    pending_ = true;
    stop_cv_.notify_all();
  });
  principals.observe([this](const std::string& subject) {
    if (open_streams() == 0 && !also_tell_) return;
    std::lock_guard lock(pending_mutex_);
    changed_users_.push_back(subject);
    pending_ = true;
    stop_cv_.notify_all();
  });
}

void NotificationStreams::end_sessions() {
  std::vector<std::string> jtis, users;
  {
    std::lock_guard lock(pending_mutex_);
    jtis.swap(revoked_jtis_);
    users.swap(changed_users_);
    pending_ = false;
  }
  if (also_tell_) also_tell_(jtis, users);
  const bool everyone = std::find(users.begin(), users.end(), std::string()) != users.end();
  std::vector<std::shared_ptr<Stream>> revoked, to_ask;
  {
    std::shared_lock lock(mutex_);
    for (auto& [user, streams] : by_user_) {
      const bool changed = everyone || std::find(users.begin(), users.end(), user) != users.end();
      for (auto& s : streams) {
        if (!s->jti.empty() && std::find(jtis.begin(), jtis.end(), s->jti) != jtis.end()) revoked.push_back(s);
        else if (changed && !s->role.empty()) to_ask.push_back(s);
      }
    }
  }
  for (auto& s : revoked) close_for(*s, "signed out: the access token was revoked");
  if (!principals_) return;
  for (auto& s : to_ask) {
    // Unavailable (the provider could not answer) keeps the stream: a
    // database hiccup must not drop every listener.
    if (principals_->resolve(s->user_id, s->role).verdict == security::PrincipalCache::Verdict::Unknown)
      close_for(*s, "the account changed (deactivated, or another role): sign in again");
  }
}

void NotificationStreams::feed_from(events::NatsClient& nats) {
  nats_ = &nats;
  subscriber_ = std::thread([this] {
    const std::string subject = nats_->config().subject_for("notification.created");
    std::unique_lock stop_lock(stop_mutex_);
    while (!stopping_) {
      if (nats_->connection()) {
        natsSubscription* sub = nullptr;
        natsStatus s = natsConnection_Subscribe(&sub, nats_->connection(), subject.c_str(),
                                                &NotificationStreams::on_nats_message, this);
        if (s == NATS_OK) {
          subscription_ = sub;
          log::info("http", "pushing " + subject + " to notification streams", {});
          return;
        }
      }
      stop_cv_.wait_for(stop_lock, std::chrono::seconds(1));
    }
  });
}

void NotificationStreams::on_nats_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<NotificationStreams*>(closure);
  if (self->open_streams() > 0) self->on_message(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

void NotificationStreams::on_message(const char* data, int len) {
  try {
    Poco::JSON::Parser parser;
    auto envelope = parser.parse(std::string(data, static_cast<size_t>(len))).extract<Poco::JSON::Object::Ptr>();
    auto notification = envelope->getObject("data");
    if (!notification || !notification->has("userId") || !notification->get("userId").isString()) return;
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(notification, out);
    deliver(notification->getValue<std::string>("userId"), out.str());
  } catch (const std::exception& e) {
    log::warn("http", std::string("a notification event that is not one: ") + e.what(), {});
  }
}

} // namespace crm::http
