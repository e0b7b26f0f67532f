// ConnectionPool: see the header.
#include "storage/ConnectionPool.hpp"

#include <algorithm>

namespace crm::storage {

namespace {

// An idle connection the server has ended (a restart, pg_terminate_backend)
// has the FATAL message and then the end of file to read. Reading what is
// there without waiting (libpq's socket does not block) tells, with no round
// trip: the first read may stop after the data (a forgotten COMMIT's answer,
// the message), the second meets the end of file and libpq marks the
// connection bad. Handed out, such a connection would fail the first
// statement of whoever took it: after a PostgreSQL restart every idle
// connection would fail one operation (a workflow step an attempt each, so a
// pool with five of them could use up a step's retries).
bool ended_by_server(PgConnection& c) {
  if (!c.healthy()) return true;
  for (int read = 0; read < 2 && PQconsumeInput(c.native()) == 1; ++read) {
  }
  return PQstatus(c.native()) != CONNECTION_OK;
}

} // namespace

ConnectionPool::ConnectionPool(PoolConfig config) : config_(std::move(config)) {}

void ConnectionPool::Lease::release() {
  if (conn_ && pool_) pool_->give_back(std::move(conn_));
  conn_.reset();
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  if (waiters_.empty()) {
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (!ended_by_server(*c)) return Lease(this, std::move(c));
      --open_; // closed as it goes out of scope; the next idle one, or a new one
    }
    if (open_ < config_.max_size) {
      ++open_; // reserve the slot, connect outside the lock
      lock.unlock();
      return open_new();
    }
  }
  Waiter me;
  waiters_.push_back(&me);
  const auto deadline = std::chrono::steady_clock::now() + config_.acquire_timeout;
  const bool served = me.ready.wait_until(lock, deadline, [&me] { return me.conn || me.may_open; });
  if (!served) {
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
    throw PgError("no database connection free within the acquire timeout", "53300");
  }
  if (me.conn) return Lease(this, std::move(me.conn));
  lock.unlock(); // the slot was reserved for us by give_back
  return open_new();
}

ConnectionPool::Lease ConnectionPool::open_new() {
  try {
    return Lease(this, std::make_unique<PgConnection>(config_.conninfo, config_.password, config_.setup_sql));
  } catch (...) {
    std::lock_guard lock(mutex_);
    --open_;
    if (!waiters_.empty()) { // let the next caller try (and report) for itself
      Waiter* next = waiters_.front();
      waiters_.pop_front();
      ++open_;
      next->may_open = true;
      next->ready.notify_one();
    }
    throw;
  }
}

void ConnectionPool::give_back(std::unique_ptr<PgConnection> c) {
  bool reusable = c->healthy() && (c->forgotten_pending() || c->transaction_status() == PQTRANS_IDLE);
  if (!reusable) c.reset(); // close outside the lock
  std::lock_guard lock(mutex_);
  if (waiters_.empty()) {
    if (reusable) idle_.push_back(std::move(c));
    else --open_;
    return;
  }
  Waiter* next = waiters_.front();
  waiters_.pop_front();
  if (reusable) next->conn = std::move(c);
  else next->may_open = true; // the closed connection's slot passes to it
  next->ready.notify_one();
}

size_t ConnectionPool::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

} // namespace crm::storage
