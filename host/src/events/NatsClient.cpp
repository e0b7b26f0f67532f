// NatsClient: see the header.
#include "events/NatsClient.hpp"

#include "log/Log.hpp"

#include <cctype>

namespace crm::events {

namespace {
constexpr int64_t kNanosPerMs = 1000000;
constexpr jsErrCode kStreamNameInUse = static_cast<jsErrCode>(10058);
} // namespace

void NatsConfig::apply_namespace(const std::string& ns) {
  if (ns.empty()) return;
  std::string upper;
  for (char c : ns) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  stream = "CRM_" + upper;
  dlq_stream = "CRM_DLQ_" + upper;
  subject_prefix = ns;
  dlq_subject_prefix = ns + "_dlq";
}

NatsClient::NatsClient(NatsConfig config) : config_(std::move(config)) {}

NatsClient::~NatsClient() {
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
  if (options_) natsOptions_Destroy(options_);
}

void NatsClient::start(PublishResult on_publish) {
  on_publish_ = std::move(on_publish);
  natsOptions_Create(&options_);
  natsOptions_SetURL(options_, config_.url.c_str());
  natsOptions_SetMaxReconnect(options_, -1);    // forever
  natsOptions_SetReconnectWait(options_, 250);  // ms
  natsOptions_SetReconnectJitter(options_, 100, 1000);
  natsOptions_SetRetryOnFailedConnect(options_, true, nullptr, nullptr); // connect in the background
  natsOptions_SetReconnectedCB(options_, &NatsClient::on_reconnected, this);
  natsOptions_SetReconnectBufSize(options_, 0); // fail publishes while disconnected: the outbox keeps them
  natsStatus s = natsConnection_Connect(&nc_, options_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    log::error("events", std::string("cannot set up the NATS connection: ") + natsStatus_GetText(s), {});
    return;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = config_.max_pending_publishes;
  jo.PublishAsync.AckHandler = &NatsClient::on_ack;
  jo.PublishAsync.AckHandlerClosure = this;
  jo.Wait = 5000;
  natsConnection_JetStream(&js_, nc_, &jo);
  if (connected()) ensure_streams();
}

bool NatsClient::connected() const {
  return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

void NatsClient::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsClient*>(closure);
  log::info("events", "connected to NATS", {{"url", self->config_.url}});
  self->streams_ready_ = false; // checked again by the relay before it publishes
}

void NatsClient::on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<NatsClient*>(closure);
  const char* id = nullptr;
  natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
  if (self->on_publish_ && id) self->on_publish_(id, pa != nullptr && pae == nullptr);
  natsMsg_Destroy(msg);
}

bool NatsClient::ensure_streams() {
  if (streams_ready_) return true;
  if (!connected()) return false;
  const std::string events = config_.subject_prefix + ".>", dead = config_.dlq_subject_prefix + ".>";
  bool ok = ensure_stream(config_.stream.c_str(), events.c_str(), config_.max_age_hours, true) &&
            ensure_stream(config_.dlq_stream.c_str(), dead.c_str(), config_.dlq_max_age_hours, true);
  streams_ready_ = ok;
  return ok;
}

bool NatsClient::ensure_stream(const char* name, const char* subject, int64_t max_age_hours, bool dedupe) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subjects[] = {subject};
  cfg.Name = name;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.MaxAge = max_age_hours * 3600 * 1000 * kNanosPerMs;
  if (dedupe) cfg.Duplicates = config_.duplicate_window_ms * kNanosPerMs;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* info = nullptr;
  natsStatus s = js_AddStream(&info, js_, &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == kStreamNameInUse) s = js_UpdateStream(&info, js_, &cfg, nullptr, &jerr);
  if (info) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    log::error("events", std::string("cannot create or update stream ") + name + ": " + natsStatus_GetText(s),
               {{"jetstream_error", std::to_string(static_cast<int>(jerr))}});
    return false;
  }
  return true;
}

} // namespace crm::events
