// ConnectionPool: a bounded set of PgConnections opened on demand with the same
// set-up (role, search_path, time zone), handed out as RAII leases. A lease
// returns its connection when dropped unless the connection broke or was left
// inside a transaction, in which case it is closed. Thread-safe.
//
// Fair: when the pool is exhausted, callers queue and a returned connection is
// handed to the one waiting longest. An unfair pool lets newly arriving callers
// take connections from under a woken waiter, which under load starves some
// requests for seconds.
#pragma once

#include "storage/PgConnection.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace crm::storage {

struct PoolConfig {
  std::string conninfo;
  std::string password;
  std::string setup_sql; // run once per new connection
  size_t max_size = 16;
  std::chrono::milliseconds acquire_timeout{5000};
};

class ConnectionPool {
public:
  class Lease {
  public:
    Lease() = default;
    Lease(ConnectionPool* pool, std::unique_ptr<PgConnection> c) : pool_(pool), conn_(std::move(c)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& o) noexcept {
      release();
      pool_ = o.pool_;
      conn_ = std::move(o.conn_);
      return *this;
    }
    ~Lease() { release(); }
    PgConnection* operator->() const { return conn_.get(); }
    PgConnection& operator*() const { return *conn_; }
    explicit operator bool() const { return conn_ != nullptr; }
    void release();

  private:
    ConnectionPool* pool_ = nullptr;
    std::unique_ptr<PgConnection> conn_;
  };

  explicit ConnectionPool(PoolConfig config);
  // Waits up to acquire_timeout for a free slot. Throws PgError (SQLSTATE 08001
  // when PostgreSQL cannot be reached, 53300 when the pool stays exhausted).
  Lease acquire();
  size_t open_connections() const;
  size_t waiting() const; // callers queued for a connection

private:
  // One caller waiting for a connection: given either a connection or the
  // right to open one (a slot freed by a closed connection).
  struct Waiter {
    std::condition_variable ready;
    std::unique_ptr<PgConnection> conn;
    bool may_open = false;
  };

  void give_back(std::unique_ptr<PgConnection> c);
  Lease open_new();

  PoolConfig config_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<PgConnection>> idle_; // most recently used last
  std::deque<Waiter*> waiters_;                     // oldest first
  size_t open_ = 0;                                 // idle + leased + being opened
};

} // namespace crm::storage
