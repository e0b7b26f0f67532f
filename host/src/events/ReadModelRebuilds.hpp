// ReadModelRebuilds: POST /api/plugins/{name}/rebuild. Rebuilds a plugin's
// read-models from the event stream: runs the plugin's CRM_OP_REPLAY_RESET
// operation (which empties them), then reads the stream from its first event
// to the last one present once the reset has committed, through a consumer of
// its own, and runs every CRM_OP_REPLAYABLE subscription operation of the
// plugin on each event of its type, oldest first, as the system principal.
//
// The last sequence is read after the reset, not before: an event applied
// live before the reset committed was in the stream by then, so the replay
// reaches it again; one published later is applied live after the reset and
// kept. (Read before, an event published and applied live in between would
// be wiped by the reset and never replayed.)
//
// The replay does not go through the inbox: the events were handled before,
// so the inbox would skip them all. Replayable operations are idempotent per
// event id themselves, which also covers live deliveries that overlap the
// rebuild. Each rebuild runs on a thread of its own on the host that took the
// request; its progress is on that host (GET on the same path).
#pragma once

#include "events/NatsClient.hpp"
#include "plugins/Invoker.hpp"
#include "plugins/PluginRegistry.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace crm::events {

class ReadModelRebuilds {
public:
  ReadModelRebuilds(NatsClient& nats, plugins::PluginRegistry& registry, plugins::Invoker& invoker);
  ~ReadModelRebuilds(); // stops the rebuilds in flight (they end "stopped")

  enum class Start { Started, AlreadyRunning, NoSuchPlugin, NothingToRebuild, Unavailable };
  // On Started and AlreadyRunning, `status_json` is the rebuild's status.
  Start start(const std::string& plugin, std::string& status_json);
  // The status of the plugin's last rebuild on this host, if any:
  // {plugin, status: running|done|failed|stopped, upToSequence, events,
  //  applied, failed, startedAt, finishedAt, seconds, error}. upToSequence
  // is the stream's last sequence when the rebuild was asked for, and the
  // one the replay reads up to once the reset is done.
  std::optional<std::string> status(const std::string& plugin) const;

private:
  struct Run;
  void run(Run& r);
  // The stream's last sequence; nullopt when NATS cannot say.
  std::optional<uint64_t> last_sequence();
  std::string status_json(const Run& r) const;

  NatsClient& nats_;
  plugins::PluginRegistry& registry_;
  plugins::Invoker& invoker_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Run>> runs_; // by plugin, the last one
};

} // namespace crm::events
