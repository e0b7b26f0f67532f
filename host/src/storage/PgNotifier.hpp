// PgNotifier: sends the host's wake-up NOTIFYs (crm_outbox, crm_workflow)
// after the commits that call for them, from a session of its own.
//
// A transaction that runs NOTIFY takes one lock for the whole database at
// commit and keeps it until its commit record is on disk, so with fsync on
// every NOTIFYing commit waits for the ones before it to reach the disk, one
// by one: with an emit's NOTIFY inside every event-writing transaction, that
// lock was what capped the write path and the consumers behind it. Here the
// NOTIFY is its own transaction, on a session whose commits do not wait for
// the disk (a lost wake-up costs a relay's next poll, nothing else); several
// asks while one is being sent make one more NOTIFY, not several.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace crm::storage {

class PgNotifier {
public:
  enum Channel : unsigned { outbox = 1u, workflow = 2u };

  PgNotifier(std::string conninfo, std::string password);
  ~PgNotifier(); // stops and joins

  void start();
  // Asks for a NOTIFY on the channel soon; returns at once. Call it after
  // the commit whose rows the listeners should look at. For the outbox
  // channel, `outbox_name` names the plugin ("platform" for the workflows' own)
  // whose outbox has new rows, so the relays look there only; empty: every
  // outbox. The names asked for meanwhile go out together, comma-separated,
  // as the notification's payload.
  void notify(Channel channel, std::string_view outbox_name = {});

private:
  void run();

  std::string conninfo_, password_;
  std::mutex mutex_;
  std::condition_variable wake_;
  unsigned pending_ = 0; // Channel bits asked for and not yet sent
  std::set<std::string, std::less<>> outboxes_; // named since the last outbox NOTIFY
  bool all_outboxes_ = false;                   // one ask named none
  bool stop_ = false;
  std::thread thread_;
};

} // namespace crm::storage
