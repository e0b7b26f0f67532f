// EventsSubsystem: see the header.
#include "events/EventsSubsystem.hpp"

#include "log/Log.hpp"
#include "metrics/MetricsSubsystem.hpp"
#include "plugins/PluginSubsystem.hpp"
#include "plugins/SchemaProvisioner.hpp"
#include "storage/StorageSubsystem.hpp"

#include <Poco/StringTokenizer.h>
#include <Poco/Util/Application.h>

#include <algorithm>

namespace crm::events {

void EventsSubsystem::initialize(Poco::Util::Application& app) {
  auto& config = app.config();
  auto& storage = app.getSubsystem<storage::StorageSubsystem>();
  auto& plugins = app.getSubsystem<plugins::PluginSubsystem>();
  registry_ = &plugins.registry();

  NatsConfig nc;
  nc.url = config.getString("nats.url", "nats://127.0.0.1:4222");
  nc.user = config.getString("nats.user", "");
  nc.password = config.getString("nats.password", "");
  nc.token = config.getString("nats.token", "");
  nc.nkey_seed_file = config.getString("nats.nkey_seed_file", "");
  nc.credentials_file = config.getString("nats.credentials_file", "");
  nc.tls = config.getBool("nats.tls", false);
  nc.tls_ca_file = config.getString("nats.tls_ca_file", "");
  nc.tls_cert_file = config.getString("nats.tls_cert_file", "");
  nc.tls_key_file = config.getString("nats.tls_key_file", "");
  nc.replicas = config.getInt("events.replicas", 1);
  nc.duplicate_window_ms = config.getInt64("events.duplicate_window_ms", 120000);
  nc.max_age_hours = config.getInt64("events.retention_hours", 0);
  nc.apply_namespace(config.getString("events.namespace", ""));
  nats_ = std::make_unique<NatsClient>(nc);

  RelayConfig rc;
  rc.conninfo = storage.conninfo();
  rc.password = storage.password();
  rc.batch_size = config.getInt("events.relay_batch", 500);
  rc.poll_ms = std::max(10, config.getInt("events.relay_poll_ms", 1000));
  rc.retention_hours = config.getInt("events.outbox_retention_hours", 24);
  relay_ = std::make_unique<OutboxRelay>(rc, *nats_, plugins.registry());

  pool_ = &storage.platform_pool();
  dead_letters_ = std::make_unique<DeadLetters>(*pool_, *nats_);

  ConsumerConfig cc;
  cc.max_deliver = config.getInt("events.max_deliver", 5);
  cc.ack_wait_ms = config.getInt("events.ack_wait_ms", 30000);
  cc.fetch_batch = std::clamp(config.getInt("events.consumer_batch", 32), 1, 64);
  cc.pullers = std::clamp(config.getInt("events.consumer_pullers", 1), 1, 16);
  cc.nak_delays_ms.clear();
  Poco::StringTokenizer delays(config.getString("events.retry_delays_ms", "1000,5000,30000"), ",",
                               Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
  for (const auto& d : delays) cc.nak_delays_ms.push_back(std::stoi(d));
  consumers_ = std::make_unique<EventConsumers>(cc, *nats_, plugins.registry(), plugins.invoker(), *dead_letters_);
  rebuilds_ = std::make_unique<ReadModelRebuilds>(*nats_, plugins.registry(), plugins.invoker());

  nats_->start([relay = relay_.get()](const std::string& id, bool ok) { relay->on_publish_result(id, ok); });
  if (!nats_->connected())
    log::warn("events", "NATS is not reachable yet; events wait in the outboxes until it is", {{"url", nc.url}});
  relay_->start();
  consumers_->sync_with_plugins();
  plugin_watch_ = std::thread([this] {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      consumers_->sync_with_plugins();
    }
  });
  register_metrics(app.getSubsystem<metrics::MetricsSubsystem>().registry());
}

void EventsSubsystem::register_metrics(metrics::Registry& metrics) {
  using Samples = std::vector<std::pair<metrics::Labels, double>>;
  metrics.add_gauge_callback("crm_outbox_pending", "Events committed but not yet published, per plugin.",
                              [this] {
                                Samples out;
                                for (const auto& [plugin, n] : outbox_pending())
                                  out.push_back({{{"plugin", plugin}}, static_cast<double>(n)});
                                return out;
                              });
  metrics.add_gauge_callback("crm_outbox_published_events", "Events this host published, per plugin.", [this] {
    Samples out;
    for (const auto& [plugin, n] : relay().published())
      out.push_back({{{"plugin", plugin}}, static_cast<double>(n)});
    return out;
  });
  metrics.add_gauge_callback("crm_outbox_publish_seconds",
                              "Time the last batch took from publish to JetStream's acks, per plugin.", [this] {
                                Samples out;
                                for (const auto& [plugin, s] : relay().publish_seconds())
                                  out.push_back({{{"plugin", plugin}}, s});
                                return out;
                              });
  metrics.add_gauge_callback("crm_consumer_pending", "Events not yet delivered, per consumer.", [this] {
    Samples out;
    for (const auto& s : consumers().stats())
      if (s.pending >= 0) out.push_back({{{"consumer", s.consumer}}, static_cast<double>(s.pending)});
    return out;
  });
  metrics.add_gauge_callback("crm_consumer_redelivered", "Events delivered more than once and not yet acknowledged, per consumer.", [this] {
    Samples out;
    for (const auto& s : consumers().stats())
      if (s.redelivered >= 0) out.push_back({{{"consumer", s.consumer}}, static_cast<double>(s.redelivered)});
    return out;
  });
  metrics.add_gauge_callback("crm_consumer_duplicates",
                              "Deliveries this host skipped because the event was handled before, per consumer.",
                              [this] {
                                Samples out;
                                for (const auto& s : consumers().stats())
                                  out.push_back({{{"consumer", s.consumer}}, static_cast<double>(s.duplicates)});
                                return out;
                              });
  metrics.add_gauge_callback("crm_consumer_deliveries", "Deliveries this host received, per consumer.", [this] {
    Samples out;
    for (const auto& s : consumers().stats())
      out.push_back({{{"consumer", s.consumer}}, static_cast<double>(s.deliveries)});
    return out;
  });
  metrics.add_gauge_callback("crm_dlq_depth", "Dead letters not replayed yet.", [this] {
    return Samples{{{}, static_cast<double>(dead_letters().open_count())}};
  });
}

std::map<std::string, long long> EventsSubsystem::outbox_pending() {
  std::map<std::string, long long> out;
  auto conn = pool_->acquire();
  // Held for the loop: a temporary one would die before the body runs, and an
  // update meanwhile would free what the loop walks.
  const auto snapshot = registry_->snapshot();
  for (const auto& plugin : snapshot->plugins) {
    auto rows = conn->query("select count(*) from " + plugins::SchemaProvisioner::quote_ident(plugin->schema) +
                                ".crm_outbox where published_at is null",
                            nullptr, 0);
    out[plugin->name] = std::stoll(rows.value(0, 0));
  }
  // What workflows emitted.
  auto rows = conn->query("select count(*) from platform.crm_outbox where published_at is null", nullptr, 0);
  out["platform"] = std::stoll(rows.value(0, 0));
  return out;
}

void EventsSubsystem::uninitialize() {
  stop_ = true;
  if (plugin_watch_.joinable()) plugin_watch_.join();
  rebuilds_.reset();
  consumers_.reset(); // stop taking events before the relay and NATS go
  relay_.reset();
  dead_letters_.reset();
  nats_.reset();
}

} // namespace crm::events
