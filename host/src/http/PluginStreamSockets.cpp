// PluginStreamSockets: the socket side of PluginStreams (see its header):
// writing frames as WebSocket text or as chunks of an SSE response, ending a
// stream (complete, or closed for a reason), reading what clients send
// (pings, close, leaving), letting go of a stream, and the housekeeping that
// pings streams and ends expired or signed-out sessions.
#include "http/PluginStream.hpp"

#include "log/Log.hpp"
#include "security/PrincipalCache.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace crm::http {

using Poco::Net::WebSocket;

namespace {

// An ended stream whose client never answers the close is let go after this.
constexpr auto kCloseGrace = std::chrono::seconds(5);

long long unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

long long steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One chunk of a chunked body (RFC 9112 7.1).
std::string chunk(const std::string& payload) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
  return size + payload + "\r\n";
}

} // namespace

bool PluginStreams::send_text(Stream& s, const std::string& text) {
  if (s.ended) return false;
  try {
    std::lock_guard lock(s.send_mutex);
    if (s.kind == Kind::WebSocket) {
      WebSocket(s.socket).sendFrame(text.data(), static_cast<int>(text.size()), WebSocket::FRAME_TEXT);
    } else {
      const std::string bytes = chunk(text);
      size_t sent = 0;
      while (sent < bytes.size()) {
        int n = s.socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (n <= 0) throw Poco::Net::NetException("the client takes no more");
        sent += static_cast<size_t>(n);
      }
    }
    return true;
  } catch (const std::exception& e) {
    log::info("http", std::string("plugin stream dropped: ") + e.what(), {{"user_id", s.caller.principal.id}});
    close_for(s, 1008, "too slow");
    return false;
  }
}

void PluginStreams::finish(Stream& s) {
  if (s.kind == Kind::WebSocket) {
    close_for(s, 1000, "the stream is complete");
    return;
  }
  if (s.ended.exchange(true)) return;
  s.ended_at = steady_seconds();
  std::lock_guard lock(s.send_mutex);
  try {
    static const std::string last_chunk = "0\r\n\r\n";
    s.socket.sendBytes(last_chunk.data(), static_cast<int>(last_chunk.size()));
    s.socket.shutdownSend();
  } catch (const std::exception&) {
  }
}

void PluginStreams::close_for(Stream& s, int code, const std::string& why) {
  if (s.ended.exchange(true)) return;
  s.ended_at = steady_seconds();
  std::lock_guard lock(s.send_mutex);
  try {
    if (s.kind == Kind::WebSocket) {
      std::string payload{char((code >> 8) & 0xFF), char(code & 0xFF)};
      payload += why.substr(0, 120); // a control frame's payload is at most 125 bytes
      WebSocket(s.socket).sendFrame(payload.data(), static_cast<int>(payload.size()),
                                    int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_CLOSE));
    }
    // SSE: cut short without the last chunk, so the client sees it did not end.
    s.socket.shutdownSend();
  } catch (const std::exception&) {
  }
}

void PluginStreams::read_from(const std::shared_ptr<Stream>& s) {
  char buffer[1024];
  int flags = 0;
  int n = 0;
  try {
    if (s->kind == Kind::WebSocket)
      n = WebSocket(s->socket).receiveFrame(buffer, sizeof buffer, flags);
    else
      n = s->socket.receiveBytes(buffer, sizeof buffer);
  } catch (const std::exception&) {
    drop(s);
    return;
  }
  if (s->kind == Kind::EventStream) {
    if (n <= 0) drop(s); // an SSE client sends nothing: this is its leaving
    return;
  }
  const int op = flags & WebSocket::FRAME_OP_BITMASK;
  if ((n == 0 && flags == 0) || op == WebSocket::FRAME_OP_CLOSE) {
    if (op == WebSocket::FRAME_OP_CLOSE && !s->ended.exchange(true)) {
      std::lock_guard lock(s->send_mutex);
      try {
        WebSocket(s->socket).sendFrame(buffer, n, int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_CLOSE));
      } catch (const std::exception&) {
      }
    }
    drop(s);
    return;
  }
  if (op == WebSocket::FRAME_OP_PING) {
    std::lock_guard lock(s->send_mutex);
    try {
      WebSocket(s->socket).sendFrame(buffer, n, int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_PONG));
    } catch (const std::exception&) {
    }
  }
}

void PluginStreams::drop(const std::shared_ptr<Stream>& s) {
  if (s->dropped.exchange(true)) return;
  s->ended = true;
  reactor_.removeEventHandler(s->socket, s->observer());
  {
    std::unique_lock lock(mutex_);
    if (s->registered) {
      for (const auto& t : s->follow.types) {
        auto by_type = index_.find(t);
        if (by_type == index_.end()) continue;
        auto by_subject = by_type->second.find(s->follow.subject);
        if (by_subject == by_type->second.end()) continue;
        auto& v = by_subject->second;
        v.erase(std::remove(v.begin(), v.end(), s), v.end());
        if (v.empty()) by_type->second.erase(by_subject);
        if (by_type->second.empty()) index_.erase(by_type);
      }
      s->registered = false;
    }
    auto it = std::find(streams_.begin(), streams_.end(), s);
    if (it != streams_.end()) {
      *it = streams_.back();
      streams_.pop_back();
      --count_;
      auto user = per_user_.find(s->caller.principal.id);
      if (user != per_user_.end() && --user->second == 0) per_user_.erase(user);
    }
  }
  std::lock_guard lock(s->send_mutex);
  try {
    s->socket.close();
  } catch (const std::exception&) {
  }
}

void PluginStreams::end_sessions(const std::vector<std::string>& revoked_jtis,
                                 const std::vector<std::string>& changed_users, security::PrincipalCache* principals) {
  if (count_ == 0) return;
  const bool everyone = std::find(changed_users.begin(), changed_users.end(), std::string()) != changed_users.end();
  for (auto& s : all_streams()) {
    const security::Principal& who = s->caller.principal;
    if (!who.jti.empty() && std::find(revoked_jtis.begin(), revoked_jtis.end(), who.jti) != revoked_jtis.end()) {
      close_for(*s, 1008, "signed out: the access token was revoked");
      continue;
    }
    const bool changed =
        everyone || std::find(changed_users.begin(), changed_users.end(), who.id) != changed_users.end();
    // Unavailable (the provider could not answer) keeps the stream.
    if (changed && principals && !who.role.empty() && !who.anonymous() &&
        principals->resolve(who.id, who.role).verdict == security::PrincipalCache::Verdict::Unknown)
      close_for(*s, 1008, "the account changed (deactivated, or another role): sign in again");
  }
}

std::vector<std::shared_ptr<PluginStreams::Stream>> PluginStreams::all_streams() const {
  std::shared_lock lock(mutex_);
  return streams_;
}

void PluginStreams::housekeeping() {
  auto last_ping = std::chrono::steady_clock::now();
  std::unique_lock stop_lock(stop_mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(stop_lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
    if (stopping_) break;
    stop_lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    const bool ping = now - last_ping >= std::chrono::seconds(config_.ping_seconds);
    if (ping) last_ping = now;
    const long long steady_now = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const long long wall_now = unix_now();
    for (auto& s : all_streams()) {
      if (s->ended) {
        if (steady_now - s->ended_at >= kCloseGrace.count()) drop(s);
      } else if (s->caller.principal.expires_at > 0 && wall_now >= s->caller.principal.expires_at) {
        close_for(*s, 1008, "the access token has expired");
      } else if (ping) {
        if (s->kind == Kind::EventStream) {
          send_text(*s, ": ping\n\n");
        } else {
          std::lock_guard lock(s->send_mutex);
          try {
            WebSocket(s->socket).sendFrame("", 0, int(WebSocket::FRAME_FLAG_FIN) | int(WebSocket::FRAME_OP_PING));
          } catch (const std::exception&) {
            s->ended = true;
          }
        }
      }
    }
    stop_lock.lock();
  }
}

} // namespace crm::http
