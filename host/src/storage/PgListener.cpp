// PgListener: see the header.
#include "storage/PgListener.hpp"

#include "log/Log.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>

namespace crm::storage {

PgListener::PgListener(std::string conninfo, std::string password, std::vector<std::string> channels,
                       OnConnect on_connect, OnNotify on_notify)
    : conninfo_(std::move(conninfo)), password_(std::move(password)), channels_(std::move(channels)),
      on_connect_(std::move(on_connect)), on_notify_(std::move(on_notify)) {}

PgListener::~PgListener() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void PgListener::start() { thread_ = std::thread([this] { run(); }); }

void PgListener::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    try {
      PgConnection conn(conninfo_, password_, "set client_min_messages = warning");
      for (const auto& channel : channels_) conn.exec("listen " + channel);
      if (on_connect_) on_connect_(conn);
      listening_ = true;
      backoff = std::chrono::milliseconds(100);
      listen_until_broken(conn);
    } catch (const std::exception& e) {
      if (listening_) log::warn("storage", std::string("notification listener lost its connection: ") + e.what(), {});
    }
    listening_ = false;
    // Sleep in small steps so a stop is not held up by the backoff.
    for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop_; slept += std::chrono::milliseconds(50))
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void PgListener::listen_until_broken(PgConnection& conn) {
  PGconn* pg = conn.native();
  while (!stop_) {
    pollfd pfd{PQsocket(pg), POLLIN, 0};
    int ready = ::poll(&pfd, 1, 250);
    if (ready < 0) continue; // EINTR
    if (ready > 0 && !PQconsumeInput(pg)) throw PgError(PQerrorMessage(pg), "08006");
    while (PGnotify* n = PQnotifies(pg)) {
      std::string channel = n->relname, payload = n->extra ? n->extra : "";
      PQfreemem(n);
      try {
        on_notify_(channel, payload);
      } catch (const std::exception& e) {
        log::error("storage", std::string("notification handler failed: ") + e.what(), {{"channel", channel}});
      }
    }
    if (PQstatus(pg) != CONNECTION_OK) throw PgError("connection lost", "08006");
  }
}

} // namespace crm::storage
