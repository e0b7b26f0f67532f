// NatsClient: see the header.
#include "events/NatsClient.hpp"

#include "log/Log.hpp"

#include <algorithm>
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

std::vector<std::string> NatsConfig::servers() const {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= url.size()) {
    size_t comma = url.find(',', pos);
    if (comma == std::string::npos) comma = url.size();
    size_t a = pos, b = comma;
    while (a < b && std::isspace(static_cast<unsigned char>(url[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(url[b - 1]))) --b;
    if (b > a) out.push_back(url.substr(a, b - a));
    pos = comma + 1;
  }
  return out;
}

NatsClient::NatsClient(NatsConfig config) : config_(std::move(config)) {}

NatsClient::~NatsClient() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (connector_.joinable()) connector_.join();
  if (auto* js = js_.load()) jsCtx_Destroy(js);
  if (auto* nc = nc_.load()) {
    natsConnection_Close(nc);
    natsConnection_Destroy(nc);
  }
  if (options_) natsOptions_Destroy(options_);
}

bool NatsClient::set_options() {
  auto check = [](natsStatus s, const char* what) {
    if (s == NATS_OK) return true;
    log::error("events", std::string("cannot use the NATS setting ") + what + ": " + natsStatus_GetText(s) + " (" +
                             nats_GetLastError(nullptr) + ")", {});
    return false;
  };
  const auto servers = config_.servers();
  std::vector<const char*> urls;
  for (const auto& u : servers) urls.push_back(u.c_str());
  if (!check(natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size())), "nats.url")) return false;
  if (!config_.user.empty() &&
      !check(natsOptions_SetUserInfo(options_, config_.user.c_str(), config_.password.c_str()), "nats.user"))
    return false;
  if (!config_.token.empty() && !check(natsOptions_SetToken(options_, config_.token.c_str()), "nats.token"))
    return false;
  if (!config_.nkey_seed_file.empty()) {
    // The public key is derived from the seed by the library.
    if (!check(natsOptions_SetNKeyFromSeed(options_, nullptr, config_.nkey_seed_file.c_str()), "nats.nkey_seed_file"))
      return false;
  }
  if (!config_.credentials_file.empty() &&
      !check(natsOptions_SetUserCredentialsFromFiles(options_, config_.credentials_file.c_str(), nullptr),
             "nats.credentials_file"))
    return false;
  const bool tls = config_.tls || !config_.tls_ca_file.empty() || !config_.tls_cert_file.empty();
  if (tls) {
    if (!check(natsOptions_SetSecure(options_, true), "nats.tls")) return false;
    if (!config_.tls_ca_file.empty() &&
        !check(natsOptions_LoadCATrustedCertificates(options_, config_.tls_ca_file.c_str()), "nats.tls_ca_file"))
      return false;
    if (!config_.tls_cert_file.empty() &&
        !check(natsOptions_LoadCertificatesChain(options_, config_.tls_cert_file.c_str(), config_.tls_key_file.c_str()),
               "nats.tls_cert_file"))
      return false;
  }
  return true;
}

void NatsClient::start(PublishResult on_publish) {
  on_publish_ = std::move(on_publish);
  natsOptions_Create(&options_);
  if (!set_options()) return;
  natsOptions_SetMaxReconnect(options_, -1);    // forever
  natsOptions_SetReconnectWait(options_, 250);  // ms
  natsOptions_SetReconnectJitter(options_, 100, 1000);
  natsOptions_SetReconnectedCB(options_, &NatsClient::on_reconnected, this);
  natsOptions_SetReconnectBufSize(options_, 0); // fail publishes while disconnected: the outbox keeps them
  connector_ = std::thread([this] { connect_until_up(); });
}

void NatsClient::connect_until_up() {
  bool warned = false;
  for (;;) {
    natsConnection* nc = nullptr;
    const natsStatus s = natsConnection_Connect(&nc, options_);
    if (s == NATS_OK) {
      jsOptions jo;
      jsOptions_Init(&jo);
      jo.PublishAsync.MaxPending = config_.max_pending_publishes;
      jo.PublishAsync.AckHandler = &NatsClient::on_ack;
      jo.PublishAsync.AckHandlerClosure = this;
      jo.Wait = 5000;
      jsCtx* js = nullptr;
      natsConnection_JetStream(&js, nc, &jo);
      js_.store(js); // before the connection: connected() implies jetstream()
      nc_.store(nc);
      char url[256] = "";
      natsConnection_GetConnectedUrl(nc, url, sizeof url);
      log::info("events", "connected to NATS", {{"url", url}});
      ensure_streams();
      return;
    }
    if (!warned) {
      // Once: the outboxes keep every event until the connection is made.
      log::warn("events", std::string("cannot connect to NATS yet, trying again every 250 ms: ") +
                              natsStatus_GetText(s) + " (" + nats_GetLastError(nullptr) + ")",
                {{"url", config_.url}});
      warned = true;
    }
    std::unique_lock lock(stop_mutex_);
    if (stop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) return;
  }
}

bool NatsClient::connected() const {
  natsConnection* nc = nc_.load();
  return nc && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
}

void NatsClient::on_reconnected(natsConnection* nc, void* closure) {
  auto* self = static_cast<NatsClient*>(closure);
  char url[256] = "";
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  log::info("events", "connected to NATS", {{"url", url}});
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
  cfg.Replicas = std::max(1, config_.replicas);
  cfg.MaxAge = max_age_hours * 3600 * 1000 * kNanosPerMs;
  if (dedupe) cfg.Duplicates = config_.duplicate_window_ms * kNanosPerMs;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  jsStreamInfo* info = nullptr;
  natsStatus s = js_AddStream(&info, js_.load(), &cfg, nullptr, &jerr);
  if (s != NATS_OK && jerr == kStreamNameInUse) s = js_UpdateStream(&info, js_.load(), &cfg, nullptr, &jerr);
  if (info) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    log::error("events", std::string("cannot create or update stream ") + name + ": " + natsStatus_GetText(s),
               {{"jetstream_error", std::to_string(static_cast<int>(jerr))}});
    return false;
  }
  return true;
}

} // namespace crm::events
