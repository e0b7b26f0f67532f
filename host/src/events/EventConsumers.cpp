// EventConsumers: see the header.
#include "events/EventConsumers.hpp"

#include "log/Log.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>

namespace crm::events {

namespace {
constexpr int64_t kNanosPerMs = 1000000;

bool permanent(crm_status s) {
  return s == CRM_E_INVALID || s == CRM_E_NOT_FOUND || s == CRM_E_FORBIDDEN || s == CRM_E_CONFLICT ||
         s == CRM_E_UNAUTHENTICATED;
}
} // namespace

struct EventConsumers::Consumer {
  std::string durable;    // e.g. fixture_cpp__on_item_created
  std::string event_type; // e.g. item.created
  std::string operation;
  std::string subject;    // crm.item.created
  Handler handler;        // the host's own consumers; else the operation runs
  bool deliver_new = false;
  natsSubscription* sub = nullptr;
  std::thread thread;
  std::atomic<long long> deliveries{0}, duplicates{0}, dead_lettered{0};
};

EventConsumers::EventConsumers(ConsumerConfig config, NatsClient& nats, plugins::PluginRegistry& registry,
                               plugins::Invoker& invoker, DeadLetters& dead_letters)
    : config_(std::move(config)), nats_(nats), registry_(registry), invoker_(invoker), dead_letters_(dead_letters) {}

EventConsumers::~EventConsumers() {
  stop_ = true;
  std::lock_guard lock(mutex_);
  for (auto& c : consumers_) {
    if (c->thread.joinable()) c->thread.join();
    // Destroy, never Unsubscribe: that would delete the durable consumer the
    // other hosts share.
    if (c->sub) natsSubscription_Destroy(c->sub);
  }
}

std::string EventConsumers::durable_name(const std::string& operation) {
  std::string out = operation;
  auto dot = out.find('.');
  if (dot != std::string::npos) out.replace(dot, 1, "__");
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  return out;
}

void EventConsumers::sync_with_plugins() {
  auto snapshot = registry_.snapshot();
  std::lock_guard lock(mutex_);
  for (const auto& plugin : snapshot->plugins) {
    for (const auto& s : plugin->subscriptions) {
      const std::string durable = durable_name(s.operation);
      if (!started_.insert(durable).second) continue;
      auto c = std::make_unique<Consumer>();
      c->durable = durable;
      c->event_type = s.event_type;
      c->operation = s.operation;
      c->subject = nats_.config().subject_for(s.event_type);
      Consumer* raw = c.get();
      c->thread = std::thread([this, raw] { run(*raw); });
      consumers_.push_back(std::move(c));
      log::info("events", "consuming " + s.event_type + " with " + s.operation, {{"consumer", durable}});
    }
  }
}

bool EventConsumers::add_consumer(const std::string& durable, const std::string& subject, const std::string& label,
                                  Handler handler) {
  std::lock_guard lock(mutex_);
  if (stop_ || !started_.insert(durable).second) return false;
  auto c = std::make_unique<Consumer>();
  c->durable = durable;
  c->operation = label;
  c->subject = subject;
  c->handler = std::move(handler);
  c->deliver_new = true;
  Consumer* raw = c.get();
  c->thread = std::thread([this, raw] { run(*raw); });
  consumers_.push_back(std::move(c));
  log::info("events", "consuming " + subject + " for " + label, {{"consumer", durable}});
  return true;
}

void EventConsumers::run(Consumer& c) {
  while (!stop_) {
    if (!c.sub) {
      if (!nats_.connected() || !nats_.ensure_streams()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        continue;
      }
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = nats_.config().stream.c_str();
      so.Config.Durable = c.durable.c_str();
      so.Config.AckPolicy = js_AckExplicit;
      so.Config.AckWait = int64_t(config_.ack_wait_ms) * kNanosPerMs;
      // We count attempts ourselves (dead letters after max_deliver); the
      // server's limit is a backstop for a host that dies on every attempt.
      so.Config.MaxDeliver = config_.max_deliver + 3;
      so.Config.FilterSubject = c.subject.c_str();
      so.Config.DeliverPolicy = c.deliver_new ? js_DeliverNew : js_DeliverAll;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_PullSubscribe(&c.sub, nats_.jetstream(), c.subject.c_str(), c.durable.c_str(), nullptr, &so,
                                      &jerr);
      if (s != NATS_OK) {
        c.sub = nullptr;
        log::warn("events", std::string("cannot bind consumer: ") + natsStatus_GetText(s),
                  {{"consumer", c.durable}, {"jetstream_error", std::to_string(static_cast<int>(jerr))}});
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        continue;
      }
    }
    natsMsgList list{nullptr, 0};
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, c.sub, config_.fetch_batch, 1000, &jerr);
    if (s == NATS_TIMEOUT) continue; // nothing new
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      if (!nats_.connected()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (int i = 0; i < list.Count && !stop_; ++i) handle(c, list.Msgs[i]);
    natsMsgList_Destroy(&list);
  }
}

void EventConsumers::handle(Consumer& c, natsMsg* msg) {
  const char* data = natsMsg_GetData(msg);
  const int len = natsMsg_GetDataLength(msg);
  const std::string envelope(data ? data : "", static_cast<size_t>(len));
  ++c.deliveries;
  jsMsgMetaData* meta = nullptr;
  int attempt = 1;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    attempt = static_cast<int>(meta->NumDelivered);
    jsMsgMetaData_Destroy(meta);
  }

  std::string event_id, event_type = c.event_type, traceparent;
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(envelope).extract<Poco::JSON::Object::Ptr>();
    event_id = o->optValue<std::string>("id", "");
    if (o->has("type") && o->get("type").isString()) event_type = o->getValue<std::string>("type");
    if (o->has("traceparent") && o->get("traceparent").isString()) traceparent = o->getValue<std::string>("traceparent");
  } catch (const std::exception&) {
  }
  if (event_id.size() != 36) {
    try {
      dead_letters_.add(c.durable, c.operation, "00000000-0000-0000-0000-000000000000", event_type, envelope,
                        "not an event envelope (no id)", attempt);
      natsMsg_Term(msg, nullptr);
    } catch (const std::exception&) {
      natsMsg_NakWithDelay(msg, 1000, nullptr);
    }
    return;
  }

  const plugins::Operation* op = c.handler ? nullptr : registry_.find_operation(c.operation);
  plugins::Outcome outcome;
  if (c.handler) {
    try {
      outcome = c.handler(envelope, event_id, event_type);
    } catch (const std::exception& e) {
      outcome.status = CRM_E_UNAVAILABLE;
      outcome.message = e.what();
    }
  } else if (!op) {
    outcome.status = CRM_E_UNAVAILABLE; // its plugin is not loaded here (yet)
    outcome.message = "operation " + c.operation + " is not loaded";
  } else {
    plugins::Invocation inv;
    inv.op = op;
    inv.input = envelope;
    inv.principal = &security::Principal::system_caller();
    inv.request_id = event_id.c_str();
    inv.trace_id = traceparent.empty() ? event_id.c_str() : traceparent.c_str();
    inv.event_id = event_id.c_str();
    inv.consumer = c.durable.c_str();
    outcome = invoker_.invoke(inv);
  }

  if (outcome.status == CRM_OK) {
    if (outcome.duplicate) ++c.duplicates;
    natsMsg_Ack(msg, nullptr);
    return;
  }
  std::string error = outcome.message;
  for (const auto& e : outcome.errors) error += "; " + e.field + ": " + e.message;
  // A deadlock or serialization failure is the database's doing, whatever
  // status the handler made of it (PostgreSQL maps both to a conflict): the
  // event waits and comes again like any retryable failure.
  if ((permanent(outcome.status) && !outcome.transient) || attempt >= config_.max_deliver) {
    try {
      dead_letters_.add(c.durable, c.operation, event_id, event_type, envelope, error, attempt);
      ++c.dead_lettered;
      natsMsg_Ack(msg, nullptr);
    } catch (const std::exception& e) {
      log::error("events", std::string("cannot record a dead letter, will retry: ") + e.what(),
                 {{"consumer", c.durable}, {"event_id", event_id}});
      natsMsg_NakWithDelay(msg, 5000, nullptr);
    }
    return;
  }
  const auto& delays = config_.nak_delays_ms;
  const int delay = delays.empty() ? 1000 : delays[std::min<size_t>(attempt - 1, delays.size() - 1)];
  log::info("events", "event handling failed, will retry: " + error,
            {{"consumer", c.durable}, {"event_id", event_id}, {"attempt", std::to_string(attempt)},
             {"trace_id", traceparent}});
  natsMsg_NakWithDelay(msg, delay, nullptr);
}

std::vector<EventConsumers::Stats> EventConsumers::stats() const {
  // One scrape reads several families from here: ask NATS at most once a second.
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const bool refresh = now - nats_stats_at_ > std::chrono::seconds(1);
  if (refresh) nats_stats_at_ = now;
  std::vector<Stats> out;
  for (const auto& c : consumers_) {
    Stats& cached = nats_stats_[c->durable];
    if (refresh) {
      cached = Stats{};
      jsConsumerInfo* ci = nullptr;
      if (nats_.connected() && js_GetConsumerInfo(&ci, nats_.jetstream(), nats_.config().stream.c_str(),
                                                  c->durable.c_str(), nullptr, nullptr) == NATS_OK) {
        cached.pending = static_cast<long long>(ci->NumPending);
        cached.ack_pending = ci->NumAckPending;
        cached.redelivered = ci->NumRedelivered;
        jsConsumerInfo_Destroy(ci);
      }
    }
    Stats s = cached;
    s.consumer = c->durable;
    s.deliveries = c->deliveries;
    s.duplicates = c->duplicates;
    s.dead_lettered = c->dead_lettered;
    out.push_back(s);
  }
  return out;
}

} // namespace crm::events
