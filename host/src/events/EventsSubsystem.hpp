// EventsSubsystem: NATS JetStream for the host: the streams, the outbox relay
// that publishes what operations emitted, the durable consumers that deliver
// events to plugins' subscriptions, and the dead letters. NATS being down
// never fails a request: events wait in the outboxes and flow when it is back.
#pragma once

#include "events/DeadLetters.hpp"
#include "events/EventConsumers.hpp"
#include "events/NatsClient.hpp"
#include "events/OutboxRelay.hpp"
#include "events/ReadModelRebuilds.hpp"
#include "metrics/Metrics.hpp"
#include "storage/ConnectionPool.hpp"

#include <Poco/Util/Subsystem.h>

#include <atomic>
#include <map>
#include <string>
#include <memory>
#include <thread>

namespace crm::events {

class EventsSubsystem : public Poco::Util::Subsystem {
public:
  const char* name() const override { return "events"; }
  NatsClient& nats() { return *nats_; }
  OutboxRelay& relay() { return *relay_; }
  EventConsumers& consumers() { return *consumers_; }
  DeadLetters& dead_letters() { return *dead_letters_; }
  ReadModelRebuilds& rebuilds() { return *rebuilds_; }
  // Unpublished outbox rows per plugin, counted now (for /metrics).
  std::map<std::string, long long> outbox_pending();

protected:
  void initialize(Poco::Util::Application& app) override;
  void uninitialize() override;

private:
  void register_metrics(metrics::Registry& metrics);

  plugins::PluginRegistry* registry_ = nullptr;
  storage::ConnectionPool* pool_ = nullptr; // the storage subsystem's platform pool
  std::unique_ptr<NatsClient> nats_;
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<DeadLetters> dead_letters_;
  std::unique_ptr<EventConsumers> consumers_;
  std::unique_ptr<ReadModelRebuilds> rebuilds_;
  std::atomic<bool> stop_{false};
  std::thread plugin_watch_; // starts consumers for plugins dropped in later
};

} // namespace crm::events
