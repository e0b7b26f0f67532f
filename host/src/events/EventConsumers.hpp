// EventConsumers: one durable JetStream pull consumer per subscription a plugin
// declares (named <plugin>__<verb>, filtered on crm.<event type>), shared by
// every host, each pulled by its own thread here. The events of one fetch run
// their operation through the invoker as the system principal, in one
// transaction with a savepoint each; the invoker records each event id in the
// plugin's inbox with its effect, so a redelivery has no second effect. Ack
// after commit; a retryable failure (including a
// deadlock or serialization failure, SQLSTATE 40P01/40001, whatever status it
// became) is NAK'd with a growing delay; an invalid event, or one still
// failing after max_deliver attempts, goes to the dead letters and is
// acknowledged.
#pragma once

#include "events/DeadLetters.hpp"
#include "events/NatsClient.hpp"
#include "plugins/Invoker.hpp"
#include "plugins/PluginRegistry.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace crm::events {

struct ConsumerConfig {
  int max_deliver = 5;
  int ack_wait_ms = 30000;
  // Events handled in one transaction at most; at most 64, so that the
  // batch's subtransactions (a savepoint an event) stay in PostgreSQL's
  // per-backend cache and do not slow everyone's snapshots.
  int fetch_batch = 32;
  // Threads pulling from each durable consumer on this host. More than one
  // handles a durable's events out of order on one host too.
  int pullers = 1;
  std::vector<int> nak_delays_ms{1000, 5000, 30000}; // by attempt; the last repeats
};

class EventConsumers {
public:
  EventConsumers(ConsumerConfig config, NatsClient& nats, plugins::PluginRegistry& registry,
                 plugins::Invoker& invoker, DeadLetters& dead_letters);
  ~EventConsumers(); // stops and joins every consumer

  // Starts a consumer for every subscription of the loaded plugins that has
  // none yet. Called at start and whenever plugins may have been added.
  void sync_with_plugins();

  // The host's own consumers (workflow triggers and waits): `handler` gets the
  // envelope, its id and type, and answers like an operation would (CRM_OK
  // acks; a failure is retried, then dead-lettered under `label`). A consumer
  // created here starts with the events published from now on. Returns false
  // when `durable` exists already.
  using Handler = std::function<plugins::Outcome(const std::string& envelope, const std::string& event_id,
                                                 const std::string& event_type)>;
  bool add_consumer(const std::string& durable, const std::string& subject, const std::string& label,
                    Handler handler);
  // The same for a handler that takes what one fetch brought at once (one
  // transaction for them all, say), answering an outcome for each event in order.
  struct Event {
    const std::string& envelope;
    const std::string& id;
    const std::string& type;
  };
  using BatchHandler = std::function<std::vector<plugins::Outcome>(const std::vector<Event>& events)>;
  bool add_batch_consumer(const std::string& durable, const std::string& subject, const std::string& label,
                          BatchHandler handler);

  struct Stats {
    std::string consumer;
    long long pending = -1, ack_pending = -1, redelivered = -1; // from NATS; -1: unknown
    long long deliveries = 0, duplicates = 0, dead_lettered = 0;  // by this host
  };
  std::vector<Stats> stats() const;
  static std::string durable_name(const std::string& operation);

private:
  struct Consumer;
  struct Puller;
  struct Delivery;
  void start_pullers(Consumer& c);
  void run(Consumer& c, Puller& puller);
  // What one fetch brought: handled together, then each acked or retried alone.
  void handle(Consumer& c, const std::vector<natsMsg*>& msgs);
  // One pull: up to `batch` events there now, or (wait) the next one to come within a second.
  static natsStatus fetch(natsSubscription* sub, natsMsgList& list, int batch, bool wait);
  void settle(Consumer& c, const Delivery& d, const plugins::Outcome& outcome);

  ConsumerConfig config_;
  NatsClient& nats_;
  plugins::PluginRegistry& registry_;
  plugins::Invoker& invoker_;
  DeadLetters& dead_letters_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::set<std::string> started_; // durable names
  // What NATS said of each consumer at the last stats() that asked it.
  mutable std::map<std::string, Stats> nats_stats_;
  mutable std::chrono::steady_clock::time_point nats_stats_at_{};
};

} // namespace crm::events
