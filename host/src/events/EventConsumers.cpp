// EventConsumers: see the header.
#include "events/EventConsumers.hpp"

#include "core/CrashPoints.hpp"
#include "log/Log.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <iterator>

namespace crm::events {

namespace {
constexpr int64_t kNanosPerMs = 1000000;

bool permanent(crm_status s) {
  return s == CRM_E_INVALID || s == CRM_E_NOT_FOUND || s == CRM_E_FORBIDDEN || s == CRM_E_CONFLICT ||
         s == CRM_E_UNAUTHENTICATED;
}
} // namespace

struct EventConsumers::Puller {
  natsSubscription* sub = nullptr;
  std::thread thread;
};

struct EventConsumers::Consumer {
  std::string durable;    // e.g. fixture_cpp__on_item_created
  std::string event_type; // e.g. item.created
  std::string operation;
  std::string subject;    // crm.item.created
  BatchHandler handler;   // the host's own consumers; else the operation runs
  // The host's own consumers start, when first created, at the time they
  // were asked for, not at whatever the stream held before: an event
  // published between the request and the subscription is not missed.
  int64_t deliver_from_ns = 0;
  std::vector<std::unique_ptr<Puller>> pullers;
  // Events per transaction now. A batch that loses a deadlock (its events'
  // locks collide with another transaction's) drops it to one for the next
  // 10 s, as without batching; after that each batch that commits doubles
  // it, up to the configured batch.
  std::atomic<int> batch_limit{1};
  std::atomic<std::chrono::steady_clock::rep> calm_until{0}; // several on one durable: one handles while another fetches
  std::atomic<long long> deliveries{0}, duplicates{0}, dead_lettered{0};
};

EventConsumers::EventConsumers(ConsumerConfig config, NatsClient& nats, plugins::PluginRegistry& registry,
                               plugins::Invoker& invoker, DeadLetters& dead_letters)
    : config_(std::move(config)), nats_(nats), registry_(registry), invoker_(invoker), dead_letters_(dead_letters) {}

EventConsumers::~EventConsumers() {
  stop_ = true;
  std::lock_guard lock(mutex_);
  for (auto& c : consumers_) {
    for (auto& p : c->pullers) {
      if (p->thread.joinable()) p->thread.join();
      // Destroy, never Unsubscribe: that would delete the durable consumer the
      // other hosts share.
      if (p->sub) natsSubscription_Destroy(p->sub);
    }
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
      c->batch_limit = config_.fetch_batch;
      start_pullers(*c);
      consumers_.push_back(std::move(c));
      log::info("events", "consuming " + s.event_type + " with " + s.operation, {{"consumer", durable}});
    }
  }
}

bool EventConsumers::add_consumer(const std::string& durable, const std::string& subject, const std::string& label,
                                  Handler handler) {
  return add_batch_consumer(durable, subject, label, [handler = std::move(handler)](const std::vector<Event>& events) {
    std::vector<plugins::Outcome> out;
    out.reserve(events.size());
    for (const Event& e : events) out.push_back(handler(e.envelope, e.id, e.type));
    return out;
  });
}

bool EventConsumers::add_batch_consumer(const std::string& durable, const std::string& subject,
                                        const std::string& label, BatchHandler handler) {
  std::lock_guard lock(mutex_);
  if (stop_ || !started_.insert(durable).second) return false;
  auto c = std::make_unique<Consumer>();
  c->durable = durable;
  c->operation = label;
  c->subject = subject;
  c->handler = std::move(handler);
  c->deliver_from_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  start_pullers(*c);
  consumers_.push_back(std::move(c));
  log::info("events", "consuming " + subject + " for " + label, {{"consumer", durable}});
  return true;
}

void EventConsumers::start_pullers(Consumer& c) {
  for (int i = 0; i < std::max(1, config_.pullers); ++i) {
    auto p = std::make_unique<Puller>();
    Puller* raw = p.get();
    c.pullers.push_back(std::move(p));
    raw->thread = std::thread([this, &c, raw] { run(c, *raw); });
  }
}

void EventConsumers::run(Consumer& c, Puller& puller) {
  natsSubscription*& sub = puller.sub;
  while (!stop_) {
    if (!sub) {
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
      so.Config.DeliverPolicy = js_DeliverAll;
      if (c.deliver_from_ns != 0) {
        jsConsumerInfo* info = nullptr;
        if (js_GetConsumerInfo(&info, nats_.jetstream(), so.Stream, so.Config.Durable, nullptr, nullptr) ==
            NATS_OK) {
          // It exists: bound to as it is, wherever it was made to start.
          so.Config.DeliverPolicy = static_cast<jsDeliverPolicy>(-1);
          jsConsumerInfo_Destroy(info);
        } else {
          so.Config.DeliverPolicy = js_DeliverByStartTime;
          so.Config.OptStartTime = c.deliver_from_ns;
        }
      }
      jsErrCode jerr = static_cast<jsErrCode>(0);
      natsStatus s = js_PullSubscribe(&sub, nats_.jetstream(), c.subject.c_str(), c.durable.c_str(), nullptr, &so,
                                      &jerr);
      if (s != NATS_OK) {
        sub = nullptr;
        log::warn("events", std::string("cannot bind consumer: ") + natsStatus_GetText(s),
                  {{"consumer", c.durable}, {"jetstream_error", std::to_string(static_cast<int>(jerr))}});
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        continue;
      }
    }
    // What is there now, up to a batch; when nothing is, wait for the next
    // one event (what comes with it is taken at the next turn).
    // natsSubscription_Fetch would wait for a whole batch, or its timeout,
    // before returning any.
    natsMsgList now{nullptr, 0};
    natsStatus s = fetch(sub, now, config_.fetch_batch, false);
    // (The server answers a no-wait pull that finds nothing with 404, or
    // with 408 when the request also has an expiry.)
    if (s == NATS_NOT_FOUND || s == NATS_TIMEOUT || (s == NATS_OK && now.Count == 0)) {
      natsMsgList_Destroy(&now);
      s = fetch(sub, now, 1, true);
    }
    if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) { // nothing new
      natsMsgList_Destroy(&now);
      continue;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&now);
      if (!nats_.connected()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const std::vector<natsMsg*> msgs(now.Msgs, now.Msgs + now.Count);
    if (!stop_) handle(c, msgs);
    natsMsgList_Destroy(&now);
  }
}

natsStatus EventConsumers::fetch(natsSubscription* sub, natsMsgList& list, int batch, bool wait) {
  jsFetchRequest req;
  jsFetchRequest_Init(&req);
  req.Batch = batch;
  req.NoWait = !wait;
  req.Expires = int64_t(1000) * kNanosPerMs; // a wait ends within a second: stop_ is looked at
  return natsSubscription_FetchRequest(&list, sub, &req);
}

struct EventConsumers::Delivery {
  natsMsg* msg = nullptr;
  std::string envelope, event_id, event_type, traceparent;
  int attempt = 1;
};

void EventConsumers::handle(Consumer& c, const std::vector<natsMsg*>& msgs) {
  std::vector<Delivery> batch;
  batch.reserve(msgs.size());
  for (natsMsg* msg : msgs) {
    Delivery d;
    d.msg = msg;
    const char* data = natsMsg_GetData(msg);
    d.envelope.assign(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(msg)));
    d.event_type = c.event_type;
    ++c.deliveries;
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      d.attempt = static_cast<int>(meta->NumDelivered);
      jsMsgMetaData_Destroy(meta);
    }
    try {
      Poco::JSON::Parser parser;
      auto o = parser.parse(d.envelope).extract<Poco::JSON::Object::Ptr>();
      d.event_id = o->optValue<std::string>("id", "");
      if (o->has("type") && o->get("type").isString()) d.event_type = o->getValue<std::string>("type");
      if (o->has("traceparent") && o->get("traceparent").isString())
        d.traceparent = o->getValue<std::string>("traceparent");
    } catch (const std::exception&) {
    }
    if (d.event_id.size() == 36) {
      batch.push_back(std::move(d));
      continue;
    }
    try {
      dead_letters_.add(c.durable, c.operation, "00000000-0000-0000-0000-000000000000", d.event_type, d.envelope,
                        "not an event envelope (no id)", d.attempt);
      natsMsg_Term(msg, nullptr);
    } catch (const std::exception&) {
      natsMsg_NakWithDelay(msg, 1000, nullptr);
    }
  }
  if (batch.empty()) return;

  std::vector<plugins::Outcome> outcomes;
  if (c.handler) {
    std::vector<Event> events;
    events.reserve(batch.size());
    for (const Delivery& d : batch) events.push_back({d.envelope, d.event_id, d.event_type});
    try {
      outcomes = c.handler(events);
    } catch (const std::exception& e) {
      outcomes.clear();
      plugins::Outcome failed;
      failed.status = CRM_E_UNAVAILABLE;
      failed.message = e.what();
      outcomes.assign(batch.size(), failed);
    }
  } else if (const plugins::Operation* op = registry_.find_operation(c.operation)) {
    std::vector<plugins::Invocation> invocations(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      const Delivery& d = batch[i];
      plugins::Invocation& inv = invocations[i];
      inv.op = op;
      inv.input = d.envelope;
      inv.principal = &security::Principal::system_caller();
      inv.request_id = d.event_id.c_str();
      inv.trace_id = d.traceparent.empty() ? d.event_id.c_str() : d.traceparent.c_str();
      inv.event_id = d.event_id.c_str();
      inv.consumer = c.durable.c_str();
    }
    outcomes.reserve(batch.size());
    std::vector<plugins::Invocation> chunk;
    for (size_t from = 0; from < invocations.size(); from += chunk.size()) {
      const size_t n = std::min(invocations.size() - from, static_cast<size_t>(std::max(1, c.batch_limit.load())));
      chunk.assign(invocations.begin() + static_cast<std::ptrdiff_t>(from),
                   invocations.begin() + static_cast<std::ptrdiff_t>(from + n));
      bool contended = false;
      auto done = invoker_.invoke_events(chunk, &contended);
      std::move(done.begin(), done.end(), std::back_inserter(outcomes));
      const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
      if (contended) {
        c.batch_limit = 1;
        c.calm_until = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::seconds(10)).count();
      } else if (now >= c.calm_until.load()) {
        c.batch_limit = std::min(config_.fetch_batch, c.batch_limit.load() * 2);
      }
    }
  } else {
    plugins::Outcome absent; // its plugin is not loaded here (yet)
    absent.status = CRM_E_UNAVAILABLE;
    absent.message = "operation " + c.operation + " is not loaded";
    outcomes.assign(batch.size(), absent);
  }
  if (outcomes.size() != batch.size()) { // a handler's mistake: every event comes again
    plugins::Outcome lost;
    lost.status = CRM_E_INTERNAL;
    lost.transient = true;
    lost.message = "the handler answered " + std::to_string(outcomes.size()) + " outcomes for " +
                   std::to_string(batch.size()) + " events";
    outcomes.assign(batch.size(), lost);
  }
  if (std::any_of(outcomes.begin(), outcomes.end(), [](const plugins::Outcome& o) { return o.status == CRM_OK && !o.duplicate; }))
    core::crash_point("events.batch_committed");
  for (size_t i = 0; i < batch.size(); ++i) settle(c, batch[i], outcomes[i]);
}

void EventConsumers::settle(Consumer& c, const Delivery& d, const plugins::Outcome& outcome) {
  natsMsg* msg = d.msg;
  const int attempt = d.attempt;
  const std::string& event_id = d.event_id;
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
      dead_letters_.add(c.durable, c.operation, event_id, d.event_type, d.envelope, error, attempt);
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
             {"trace_id", d.traceparent}});
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
