// OutboxRelay: see the header.
#include "events/OutboxRelay.hpp"

#include "log/Log.hpp"
#include "plugins/SchemaProvisioner.hpp"
#include "storage/PgError.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace crm::events {

namespace {

// The event envelope (docs/architecture.md, Events), built by PostgreSQL from the outbox row.
const char* kBatchSql =
    "select id::text, type, json_build_object('id', id, 'type', type, 'source', source, 'time', "
    "to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'subject', subject, "
    "'actor', actor, 'traceparent', traceparent, 'data', data)::text, "
    "extract(epoch from now() - created_at) from %s.crm_outbox where published_at is null order by seq limit %d";

std::string format_sql(const char* pattern, const std::string& schema, int limit) {
  std::string out(pattern);
  out.replace(out.find("%s"), 2, schema);
  out.replace(out.find("%d"), 2, std::to_string(limit));
  return out;
}

// The next wait after a failure: doubling from 250 ms up to 5 s.
std::chrono::milliseconds grown(std::chrono::milliseconds backoff) {
  return std::min(std::max(backoff * 2, std::chrono::milliseconds(250)), std::chrono::milliseconds(5000));
}

} // namespace

OutboxRelay::OutboxRelay(RelayConfig config, NatsClient& nats, plugins::PluginRegistry& registry)
    : config_(std::move(config)), nats_(nats), registry_(registry) {}

OutboxRelay::~OutboxRelay() {
  stop_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  listener_.reset();
}

void OutboxRelay::start() {
  listener_ = std::make_unique<storage::PgListener>(
      config_.conninfo, config_.password, std::vector<std::string>{"crm_outbox"},
      [this](storage::PgConnection&) { wake_for(""); },
      [this](const std::string&, const std::string& payload) { wake_for(payload); });
  listener_->start();
  thread_ = std::thread([this] { run(); });
}

void OutboxRelay::wake_for(const std::string& payload) {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
    if (payload.empty()) {
      scan_all_ = true;
    } else if (!scan_all_) {
      for (size_t from = 0; from <= payload.size();) {
        size_t comma = payload.find(',', from);
        if (comma == std::string::npos) comma = payload.size();
        if (comma > from) named_.emplace(payload, from, comma - from);
        from = comma + 1;
      }
    }
  }
  wakeup_.notify_one();
}

void OutboxRelay::look_at_all_later() {
  std::lock_guard lock(mutex_);
  scan_all_ = true;
}

void OutboxRelay::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_one();
}

void OutboxRelay::on_publish_result(const std::string& msg_id, bool ok) {
  {
    std::lock_guard lock(acks_mutex_);
    (ok ? acked_ : failed_).insert(msg_id);
  }
  acks_cv_.notify_all();
}

std::map<std::string, long long> OutboxRelay::published() const {
  std::lock_guard lock(stats_mutex_);
  return published_;
}

std::map<std::string, double> OutboxRelay::publish_seconds() const {
  std::lock_guard lock(stats_mutex_);
  return publish_seconds_;
}

void OutboxRelay::run() {
  std::unique_ptr<storage::PgConnection> conn;
  auto backoff = std::chrono::milliseconds(0);
  auto last_cleanup = std::chrono::steady_clock::now() - std::chrono::hours(1);
  while (!stop_) {
    bool all = false;
    std::set<std::string> named;
    {
      std::unique_lock lock(mutex_);
      const bool woken = wakeup_.wait_for(
          lock, backoff.count() ? backoff : std::chrono::milliseconds(config_.poll_ms), [this] { return woken_; });
      woken_ = false;
      // A poll, or a wake-up that named no outbox, looks at them all.
      all = !woken || scan_all_;
      named.swap(named_);
      scan_all_ = false;
    }
    if (stop_) break;
    if (!nats_.connected() || !nats_.ensure_streams()) {
      backoff = grown(backoff);
      look_at_all_later();
      continue;
    }
    try {
      if (!conn || !conn->healthy())
        conn = std::make_unique<storage::PgConnection>(config_.conninfo, config_.password,
                                                       "set client_min_messages = warning; set time zone 'UTC'");
      bool failed = false, busy = false;
      std::set<std::string> more; // outboxes whose batch was full: looked at again at once
      auto relay = [&](const std::string& name, const std::string& schema) {
        if (!all && named.count(name) == 0) return;
        const int published = relay_batch(*conn, name, schema);
        if (published == kBusy) busy = true;
        else if (published < 0) failed = true;
        if (published >= config_.batch_size) more.insert(name);
      };
      // Held for the loop: a temporary one would die before the body runs, and an
      // update meanwhile would free what the loop walks.
      const auto snapshot = registry_.snapshot();
      for (const auto& plugin : snapshot->plugins)
        relay(plugin->name, plugins::SchemaProvisioner::quote_ident(plugin->schema));
      // What workflows emitted, from the platform's own outbox.
      relay("platform", "platform");
      if (std::chrono::steady_clock::now() - last_cleanup > std::chrono::minutes(5)) {
        delete_old_rows(*conn);
        last_cleanup = std::chrono::steady_clock::now();
      }
      backoff = failed ? grown(backoff) : std::chrono::milliseconds(0);
      if (failed) {
        look_at_all_later(); // after the backoff
      } else if (busy) {
        // Another host's batch may have been read before the rows this
        // round was woken for: look again shortly, not at the next poll.
        backoff = std::chrono::milliseconds(20);
        look_at_all_later();
      } else if (!more.empty()) {
        std::lock_guard lock(mutex_);
        named_.insert(more.begin(), more.end());
        woken_ = true; // this thread's next wait returns at once
      }
    } catch (const std::exception& e) {
      log::warn("events", std::string("outbox relay: ") + e.what(), {});
      conn.reset();
      backoff = grown(backoff);
      look_at_all_later();
    }
  }
}

int OutboxRelay::relay_batch(storage::PgConnection& conn, const std::string& plugin, const std::string& schema) {
  const char* name[] = {plugin.c_str()};
  conn.exec("begin");
  try {
    auto locked = conn.query("select pg_try_advisory_xact_lock(hashtext('crm.outbox:' || $1))", name, 1);
    if (std::string_view(locked.value(0, 0)) != "t") {
      conn.exec("rollback");
      return kBusy; // another host is relaying this plugin right now
    }
    // Planned afresh each time (simple protocol, not a prepared statement): a
    // statement without parameters keeps its first plan, and one made while
    // the outbox was nearly empty (a scan and a sort) takes half a second per
    // batch once a backlog of 200,000 rows has built up.
    auto rows = conn.exec(format_sql(kBatchSql, schema, config_.batch_size));
    const int n = rows.rows();
    if (n == 0) {
      conn.exec("rollback");
      return 0;
    }

    {
      std::lock_guard lock(acks_mutex_);
      acked_.clear();
      failed_.clear();
    }
    const auto started = std::chrono::steady_clock::now();
    int sent = 0;
    for (int i = 0; i < n; ++i) {
      const std::string subject = nats_.config().subject_for(rows.value(i, 1));
      natsMsg* msg = nullptr;
      if (natsMsg_Create(&msg, subject.c_str(), nullptr, rows.value(i, 2), rows.length(i, 2)) != NATS_OK) break;
      natsMsgHeader_Set(msg, "Nats-Msg-Id", rows.value(i, 0));
      if (js_PublishMsgAsync(nats_.jetstream(), &msg, nullptr) != NATS_OK) {
        natsMsg_Destroy(msg); // not taken: NATS is down
        break;
      }
      ++sent;
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    js_PublishAsyncComplete(nats_.jetstream(), &po);

    std::vector<std::string> done;
    {
      std::unique_lock lock(acks_mutex_);
      // Acks arrive on NATS's thread; Complete returned, so they are all in or failed.
      acks_cv_.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return static_cast<int>(acked_.size() + failed_.size()) >= sent; });
      done.assign(acked_.begin(), acked_.end());
    }
    if (!done.empty()) {
      std::string ids = "{";
      for (size_t i = 0; i < done.size(); ++i) ids += (i ? "," : "") + done[i];
      ids += '}';
      const char* p[] = {ids.c_str()};
      conn.query("update " + schema + ".crm_outbox set published_at = now() where id = any($1::uuid[])", p, 1);
    }
    conn.exec("commit");

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    {
      std::lock_guard lock(stats_mutex_);
      publish_seconds_[plugin] = seconds;
      published_[plugin] += static_cast<long long>(done.size());
    }
    if (static_cast<int>(done.size()) < n) return -1;
    return n;
  } catch (...) {
    try {
      conn.exec("rollback");
    } catch (...) {
    }
    throw;
  }
}

void OutboxRelay::delete_old_rows(storage::PgConnection& conn) {
  const std::string hours = std::to_string(config_.retention_hours);
  std::vector<std::string> schemas{"platform"};
  // Held for the loop: a temporary one would die before the body runs, and an
  // update meanwhile would free what the loop walks.
  const auto snapshot = registry_.snapshot();
  for (const auto& plugin : snapshot->plugins)
    schemas.push_back(plugins::SchemaProvisioner::quote_ident(plugin->schema));
  for (const auto& schema : schemas) {
    const char* p[] = {hours.c_str()};
    conn.query("delete from " + schema +
                   ".crm_outbox where published_at < now() - make_interval(hours => $1::int)",
               p, 1);
  }
}

} // namespace crm::events
