// ReadModelRebuilds: see the header.
#include "events/ReadModelRebuilds.hpp"

#include "core/JsonText.hpp"
#include "log/Log.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <vector>

namespace crm::events {

namespace {
constexpr int64_t kNanosPerMs = 1000000;
constexpr int kFetchBatch = 256;

std::string now_iso() { return Poco::DateTimeFormatter::format(Poco::DateTime(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT); }

const char* const kStates[] = {"running", "done", "failed", "stopped"};
} // namespace

struct ReadModelRebuilds::Run {
  enum State { Running, Done, Failed, Stopped };
  std::string plugin;
  const plugins::Operation* reset = nullptr;
  std::map<std::string, std::vector<const plugins::Operation*>> by_type; // event type -> operations
  std::atomic<uint64_t> up_to{0}; // the stream's last sequence: at the request, then after the reset
  std::atomic<int> state{Running};
  std::atomic<long long> events{0}, applied{0}, failed{0};
  std::string started_at, finished_at, error; // under the owner's mutex
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  double seconds = 0;
  std::thread thread;
};

ReadModelRebuilds::ReadModelRebuilds(NatsClient& nats, plugins::PluginRegistry& registry, plugins::Invoker& invoker)
    : nats_(nats), registry_(registry), invoker_(invoker) {}

ReadModelRebuilds::~ReadModelRebuilds() {
  stop_ = true;
  std::vector<Run*> runs;
  {
    std::lock_guard lock(mutex_); // a finishing run takes it too: join without it
    for (auto& [plugin, run] : runs_) runs.push_back(run.get());
  }
  for (Run* run : runs)
    if (run->thread.joinable()) run->thread.join();
}

ReadModelRebuilds::Start ReadModelRebuilds::start(const std::string& plugin, std::string& out) {
  auto snapshot = registry_.snapshot();
  const plugins::PluginInstance* instance = nullptr;
  for (const auto& p : snapshot->plugins)
    if (p->name == plugin) instance = p.get();
  if (!instance) return Start::NoSuchPlugin;

  auto run = std::make_unique<Run>();
  run->plugin = plugin;
  for (const auto& op : instance->operations)
    if (op->flags & CRM_OP_REPLAY_RESET) run->reset = op.get();
  for (const auto& s : instance->subscriptions) {
    const plugins::Operation* op = snapshot->operations.count(s.operation) ? snapshot->operations.at(s.operation) : nullptr;
    if (op && (op->flags & CRM_OP_REPLAYABLE)) run->by_type[s.event_type].push_back(op);
  }
  if (run->by_type.empty()) return Start::NothingToRebuild;

  // Asked now so an unreachable stream is refused before anything is reset;
  // read again after the reset (see the header).
  const auto last = last_sequence();
  if (!last) return Start::Unavailable;
  run->up_to = *last;

  std::lock_guard lock(mutex_);
  auto& slot = runs_[plugin];
  if (slot && slot->state == Run::Running) {
    out = status_json(*slot);
    return Start::AlreadyRunning;
  }
  if (slot && slot->thread.joinable()) slot->thread.join();
  slot = std::move(run);
  slot->started_at = now_iso();
  Run* raw = slot.get();
  out = status_json(*raw);
  raw->thread = std::thread([this, raw] { this->run(*raw); });
  log::info("events", "rebuilding read-models from the stream",
            {{"plugin", plugin}, {"up_to_sequence", std::to_string(raw->up_to.load())}});
  return Start::Started;
}

std::optional<uint64_t> ReadModelRebuilds::last_sequence() {
  if (!nats_.connected() || !nats_.ensure_streams()) return std::nullopt;
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetStreamInfo(&info, nats_.jetstream(), nats_.config().stream.c_str(), nullptr, &jerr) != NATS_OK)
    return std::nullopt;
  const uint64_t last = info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  return last;
}

void ReadModelRebuilds::run(Run& r) {
  auto finish = [&](Run::State state, const std::string& error) {
    std::lock_guard lock(mutex_);
    r.error = error;
    r.finished_at = now_iso();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.began).count();
    r.state = state;
    log::info("events", std::string("read-model rebuild ") + kStates[state],
              {{"plugin", r.plugin}, {"events", std::to_string(r.events.load())},
               {"applied", std::to_string(r.applied.load())}, {"error", error}});
  };

  if (r.reset) {
    plugins::Invocation inv;
    inv.op = r.reset;
    inv.input = "{}";
    inv.principal = &security::Principal::system_caller();
    inv.request_id = "rebuild";
    inv.trace_id = "rebuild";
    auto outcome = invoker_.invoke(inv);
    if (outcome.status != CRM_OK) return finish(Run::Failed, r.reset->name + " failed: " + outcome.message);
  }
  // Every event applied live before the reset committed is in the stream by
  // now: replay up to here.
  std::optional<uint64_t> last;
  for (int attempt = 0; attempt < 30 && !stop_ && !(last = last_sequence()); ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  if (!last) return finish(stop_ ? Run::Stopped : Run::Failed, "cannot read the stream's last sequence after the reset");
  r.up_to = *last;
  log::info("events", "read-models reset; replaying the stream",
            {{"plugin", r.plugin}, {"up_to_sequence", std::to_string(*last)}});
  if (r.up_to == 0) return finish(Run::Done, "");

  // An ephemeral consumer of our own over every event type, from the first.
  const std::string subject = nats_.config().subject_prefix + ".>";
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = nats_.config().stream.c_str();
  so.Config.AckPolicy = js_AckNone;
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.InactiveThreshold = int64_t(60000) * kNanosPerMs; // the server drops it if we die
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_PullSubscribe(&sub, nats_.jetstream(), subject.c_str(), nullptr, nullptr, &so, &jerr) != NATS_OK)
    return finish(Run::Failed, "cannot read the stream (JetStream error " + std::to_string(int(jerr)) + ")");

  uint64_t seq = 0;
  int idle = 0;
  std::string failure;
  Poco::JSON::Parser parser;
  while (seq < r.up_to && !stop_ && failure.empty()) {
    natsMsgList list{nullptr, 0};
    natsStatus s = natsSubscription_Fetch(&list, sub, kFetchBatch, 2000, &jerr);
    if (s == NATS_TIMEOUT) {
      // Nothing more (events deleted by retention leave gaps; the last ones may be gone).
      if (++idle >= 3) break;
      continue;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      if (++idle >= 30) failure = std::string("the stream stopped answering: ") + natsStatus_GetText(s);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    idle = 0;
    for (int i = 0; i < list.Count && failure.empty(); ++i) {
      natsMsg* msg = list.Msgs[i];
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        seq = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
      }
      if (seq > r.up_to) break; // published after the reset: live delivery has it
      const std::string envelope(natsMsg_GetData(msg) ? natsMsg_GetData(msg) : "",
                                 static_cast<size_t>(natsMsg_GetDataLength(msg)));
      std::string type, event_id, traceparent;
      try {
        parser.reset();
        auto o = parser.parse(envelope).extract<Poco::JSON::Object::Ptr>();
        type = o->optValue<std::string>("type", "");
        event_id = o->optValue<std::string>("id", "");
      } catch (const std::exception&) {
        continue; // not an envelope: nothing a read-model could use
      }
      auto it = r.by_type.find(type);
      if (it == r.by_type.end()) continue;
      ++r.events;
      for (const plugins::Operation* op : it->second) {
        plugins::Invocation inv;
        inv.op = op;
        inv.input = envelope;
        inv.principal = &security::Principal::system_caller();
        inv.request_id = event_id.c_str();
        inv.trace_id = event_id.c_str();
        // A retry or two covers a moment of contention; a permanent failure
        // is counted (the event was refused live too) and the rebuild goes on.
        plugins::Outcome outcome;
        for (int attempt = 0; attempt < 3; ++attempt) {
          outcome = invoker_.invoke(inv);
          if (outcome.status != CRM_E_UNAVAILABLE && outcome.status != CRM_E_INTERNAL) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
        }
        if (outcome.status == CRM_OK) ++r.applied;
        else if (outcome.status == CRM_E_UNAVAILABLE) failure = op->name + ": " + outcome.message;
        else {
          ++r.failed;
          log::warn("events", "rebuild: an event was refused: " + outcome.message,
                    {{"plugin", r.plugin}, {"operation", op->name}, {"event_id", event_id}});
        }
      }
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Unsubscribe(sub); // deletes the ephemeral consumer
  natsSubscription_Destroy(sub);
  if (!failure.empty()) return finish(Run::Failed, failure);
  finish(stop_ ? Run::Stopped : Run::Done, "");
}

std::optional<std::string> ReadModelRebuilds::status(const std::string& plugin) const {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(plugin);
  if (it == runs_.end()) return std::nullopt;
  return status_json(*it->second);
}

// Called with mutex_ held.
std::string ReadModelRebuilds::status_json(const Run& r) const {
  std::string out = "{\"plugin\":";
  core::append_json_string(out, r.plugin);
  out += ",\"status\":\"";
  out += kStates[r.state.load()];
  out += "\",\"upToSequence\":" + std::to_string(r.up_to.load());
  out += ",\"events\":" + std::to_string(r.events.load());
  out += ",\"applied\":" + std::to_string(r.applied.load());
  out += ",\"failed\":" + std::to_string(r.failed.load());
  out += ",\"startedAt\":";
  core::append_json_string(out, r.started_at);
  out += ",\"finishedAt\":";
  if (r.finished_at.empty()) out += "null";
  else core::append_json_string(out, r.finished_at);
  const double seconds = r.state == Run::Running
                             ? std::chrono::duration<double>(std::chrono::steady_clock::now() - r.began).count()
                             : r.seconds;
  out += ",\"seconds\":" + std::to_string(seconds);
  out += ",\"error\":";
  if (r.error.empty()) out += "null";
  else core::append_json_string(out, r.error);
  return out + "}";
}

} // namespace crm::events
