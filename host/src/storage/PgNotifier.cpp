// PgNotifier: see the header.
#include "storage/PgNotifier.hpp"

#include "log/Log.hpp"
#include "storage/PgConnection.hpp"

#include <chrono>
#include <memory>

namespace crm::storage {

PgNotifier::PgNotifier(std::string conninfo, std::string password)
    : conninfo_(std::move(conninfo)), password_(std::move(password)) {}

PgNotifier::~PgNotifier() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void PgNotifier::start() { thread_ = std::thread([this] { run(); }); }

void PgNotifier::notify(Channel channel, std::string_view outbox_name) {
  {
    std::lock_guard lock(mutex_);
    pending_ |= channel;
    if (channel == outbox && !all_outboxes_) {
      if (outbox_name.empty()) {
        all_outboxes_ = true;
        outboxes_.clear();
      } else if (outboxes_.find(outbox_name) == outboxes_.end()) {
        outboxes_.emplace(outbox_name);
      }
    }
  }
  wake_.notify_one();
}

void PgNotifier::run() {
  std::unique_ptr<PgConnection> conn;
  bool warned = false;
  for (;;) {
    unsigned channels = 0;
    std::string names; // the outboxes to look at, comma-separated; empty: all
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || pending_ != 0; });
      if (stop_) return;
      channels = pending_;
      pending_ = 0;
      if (!all_outboxes_)
        for (const auto& name : outboxes_) names += (names.empty() ? "" : ",") + name;
      outboxes_.clear();
      all_outboxes_ = false;
    }
    try {
      if (!conn) conn = std::make_unique<PgConnection>(conninfo_, password_, "set synchronous_commit = off");
      if (channels & outbox) {
        const char* p[] = {names.c_str()};
        conn->query("select pg_notify('crm_outbox', $1)", p, 1);
      }
      if (channels & workflow) conn->exec("notify crm_workflow");
      warned = false;
    } catch (const std::exception& e) {
      // The listeners poll as well: this wake-up is late, not lost. Try the
      // connection again at the next ask, at most every 250 ms.
      conn.reset();
      if (!warned) log::warn("storage", std::string("cannot send a wake-up notification: ") + e.what(), {});
      warned = true;
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; });
    }
  }
}

} // namespace crm::storage
