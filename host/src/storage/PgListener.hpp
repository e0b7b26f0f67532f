// PgListener: one dedicated PostgreSQL connection LISTENing on a few channels,
// on its own thread. Reconnects with backoff when the connection drops; after
// every (re)connect it calls on_connect first, so the owner can reload what it
// may have missed while deaf.
#pragma once

#include "storage/PgConnection.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace crm::storage {

class PgListener {
public:
  using OnConnect = std::function<void(PgConnection&)>;
  using OnNotify = std::function<void(const std::string& channel, const std::string& payload)>;

  PgListener(std::string conninfo, std::string password, std::vector<std::string> channels, OnConnect on_connect,
             OnNotify on_notify);
  ~PgListener(); // stops and joins

  void start();
  // True while connected and listening.
  bool listening() const { return listening_.load(std::memory_order_relaxed); }

private:
  void run();
  void listen_until_broken(PgConnection& conn);

  std::string conninfo_, password_;
  std::vector<std::string> channels_;
  OnConnect on_connect_;
  OnNotify on_notify_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

} // namespace crm::storage
