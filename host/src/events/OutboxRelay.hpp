// OutboxRelay: publishes the rows every plugin's operations committed to its
// crm_outbox to JetStream (subject crm.<type>, Nats-Msg-Id = event id), then
// marks them sent. One thread per host; it wakes on NOTIFY crm_outbox (sent
// after the commit, its payload naming the outboxes with new rows) and looks
// at those outboxes only; it looks at every outbox on its poll
// (events.relay_poll_ms), in case a notification was missed, and after
// (re)connecting its listener. Several hosts may run it: each plugin's outbox is
// relayed by one host at a time (an advisory lock), in sequence order, and
// JetStream's duplicate window absorbs a batch published twice after a crash.
// NATS down: nothing is marked, rows wait, publishing resumes with backoff.
#pragma once

#include "events/NatsClient.hpp"
#include "plugins/PluginRegistry.hpp"
#include "storage/PgConnection.hpp"
#include "storage/PgListener.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace crm::events {

struct RelayConfig {
  std::string conninfo, password;
  int batch_size = 500;
  int retention_hours = 24; // published rows kept this long, then deleted
  int poll_ms = 1000;       // how often the outboxes are looked at with no wake-up (crm_outbox) heard
};

class OutboxRelay {
public:
  OutboxRelay(RelayConfig config, NatsClient& nats, plugins::PluginRegistry& registry);
  ~OutboxRelay(); // stops and joins

  void start();
  // Called by NatsClient for every async publish.
  void on_publish_result(const std::string& msg_id, bool ok);
  // How long the last batch of each plugin took to publish and confirm.
  std::map<std::string, double> publish_seconds() const;
  // Events published since start, per plugin.
  std::map<std::string, long long> published() const;

private:
  void run();
  void wake();
  // `payload`: comma-separated outbox names (plugin names, "platform"); empty: all.
  void wake_for(const std::string& payload);
  // The next round, whenever it comes, looks at every outbox (after a failure).
  void look_at_all_later();
  // Publishes one batch of `plugin`'s outbox; returns rows published, -1
  // when it could not (NATS down), kBusy when another host holds the plugin.
  static constexpr int kBusy = -2;
  int relay_batch(storage::PgConnection& conn, const std::string& plugin, const std::string& schema);
  void delete_old_rows(storage::PgConnection& conn);

  RelayConfig config_;
  NatsClient& nats_;
  plugins::PluginRegistry& registry_;
  std::unique_ptr<storage::PgListener> listener_;

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool woken_ = false;
  bool scan_all_ = true;         // the next round looks at every outbox
  std::set<std::string> named_;  // else at these
  std::atomic<bool> stop_{false};
  std::thread thread_;

  std::mutex acks_mutex_;
  std::condition_variable acks_cv_;
  std::set<std::string> acked_, failed_; // msg ids of the batch in flight

  mutable std::mutex stats_mutex_;
  std::map<std::string, double> publish_seconds_;
  std::map<std::string, long long> published_;
};

} // namespace crm::events
