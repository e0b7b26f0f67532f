// NatsClient: the host's one connection to NATS and its JetStream context.
// It connects even while the server is down and reconnects forever; callers
// see failures as statuses, never exceptions. Streams CRM (domain events,
// subjects crm.>) and CRM_DLQ (dead letters, crmdlq.>) are created or updated
// from configuration whenever the connection (re)opens.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace crm::events {

struct NatsConfig {
  std::string url = "nats://127.0.0.1:4222";
  int64_t duplicate_window_ms = 2 * 60 * 1000; // Nats-Msg-Id dedupe window
  int64_t max_age_hours = 24 * 7;              // retention of stream CRM
  int64_t dlq_max_age_hours = 24 * 30;
  int64_t max_pending_publishes = 4096;
  // Names: stream CRM with subjects crm.<type>, stream CRM_DLQ with
  // crmdlq.<type>. A namespace (events.namespace) gives one platform its own
  // streams and subjects on a shared NATS: CRM_<NS>, <ns>.<type>, ...
  std::string stream = "CRM", subject_prefix = "crm";
  std::string dlq_stream = "CRM_DLQ", dlq_subject_prefix = "crmdlq";
  void apply_namespace(const std::string& ns);
  // crm.<type> (or <ns>.<type>)
  std::string subject_for(const std::string& event_type) const { return subject_prefix + "." + event_type; }
};

class NatsClient {
public:
  // Called from NATS's own thread with (msg id, ok) for every async publish.
  using PublishResult = std::function<void(const std::string& msg_id, bool ok)>;

  explicit NatsClient(NatsConfig config);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // Starts connecting (returns at once; a down server is retried).
  void start(PublishResult on_publish);
  bool connected() const;
  // Creates or updates both streams; false (logged) when NATS refuses.
  bool ensure_streams();

  jsCtx* jetstream() const { return js_; }
  natsConnection* connection() const { return nc_; }
  const NatsConfig& config() const { return config_; }

private:
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  bool ensure_stream(const char* name, const char* subject, int64_t max_age_hours, bool dedupe);

  NatsConfig config_;
  natsOptions* options_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  PublishResult on_publish_;
  std::atomic<bool> streams_ready_{false};
};

} // namespace crm::events
