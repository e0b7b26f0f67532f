// NatsClient: the host's one connection to NATS and its JetStream context.
// It connects even while the server is down and reconnects forever; callers
// see failures as statuses, never exceptions. Streams CRM (domain events,
// subjects crm.>) and CRM_DLQ (dead letters, crmdlq.>) are created or updated
// from configuration whenever the connection (re)opens.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace crm::events {

struct NatsConfig {
  // One server, or several separated by commas (a cluster's seed servers:
  // the client finds the rest and fails over among them).
  std::string url = "nats://127.0.0.1:4222";
  // Authentication, each optional: user and password, a token, an NKey seed
  // file, or a credentials file (JWT and NKey, as `nsc` writes it).
  std::string user, password, token, nkey_seed_file, credentials_file;
  // TLS: on when `tls` or any file is given; the CA that signed the servers'
  // certificates, and this client's certificate and key for mutual TLS.
  bool tls = false;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  // Copies of each stream JetStream keeps: 1 on one server, 3 in a cluster.
  int replicas = 1;
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
  // The servers of `url`, each trimmed, in order.
  std::vector<std::string> servers() const;
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

  // Null until the first connection is made.
  jsCtx* jetstream() const { return js_.load(); }
  natsConnection* connection() const { return nc_.load(); }
  const NatsConfig& config() const { return config_; }

private:
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  // The connection options from config_; false (logged) when one is unusable.
  bool set_options();
  // The first connection, tried every 250 ms until it is made or the client
  // stops (the library would retry a refused login inside its connect call,
  // holding up the host's start for ever).
  void connect_until_up();
  bool ensure_stream(const char* name, const char* subject, int64_t max_age_hours, bool dedupe);

  NatsConfig config_;
  natsOptions* options_ = nullptr;
  std::atomic<natsConnection*> nc_{nullptr};
  std::atomic<jsCtx*> js_{nullptr};
  std::thread connector_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  PublishResult on_publish_;
  std::atomic<bool> streams_ready_{false};
};

} // namespace crm::events
