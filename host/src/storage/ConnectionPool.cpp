// ConnectionPool: see the header.
#include "storage/ConnectionPool.hpp"

namespace crm::storage {

ConnectionPool::ConnectionPool(PoolConfig config) : config_(std::move(config)) {}

void ConnectionPool::Lease::release() {
  if (conn_ && pool_) pool_->give_back(std::move(conn_));
  conn_.reset();
}

ConnectionPool::Lease ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + config_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
    if (open_ < config_.max_size) break;
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= config_.max_size)
      throw PgError("no database connection free within the acquire timeout", "53300");
  }
  ++open_; // reserve the slot, connect outside the lock
  lock.unlock();
  try {
    return Lease(this, std::make_unique<PgConnection>(config_.conninfo, config_.password, config_.setup_sql));
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::give_back(std::unique_ptr<PgConnection> c) {
  bool reusable = c->healthy() && (c->forgotten_pending() || c->transaction_status() == PQTRANS_IDLE);
  if (!reusable) c.reset(); // close outside the lock
  std::lock_guard lock(mutex_);
  if (reusable) idle_.push_back(std::move(c));
  else --open_;
  available_.notify_one();
}

size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

} // namespace crm::storage
