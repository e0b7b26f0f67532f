// ConnectionPool against a real PostgreSQL: leases are reused, an exhausted
// pool serves its callers in arrival order, and a caller that waits too long
// gets a clear error instead of hanging.
#include "support/TestDatabase.hpp"

#include "storage/ConnectionPool.hpp"
#include "storage/PgError.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace itest;
using crm::storage::ConnectionPool;
using crm::storage::PoolConfig;

namespace {

PoolConfig config_for(const TestDatabase& db, size_t max_size, std::chrono::milliseconds timeout) {
  PoolConfig c;
  c.conninfo = db.dsn();
  c.password = db.password();
  c.setup_sql = "set time zone 'UTC'";
  c.max_size = max_size;
  c.acquire_timeout = timeout;
  return c;
}

void wait_until(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

} // namespace

TEST_CASE("a returned connection is reused instead of opening another", "[pool]") {
  TestDatabase db;
  ConnectionPool pool(config_for(db, 4, std::chrono::milliseconds(1000)));
  const crm::storage::PgConnection* first = nullptr;
  {
    auto lease = pool.acquire();
    first = &*lease;
  }
  auto again = pool.acquire();
  CHECK(&*again == first);
  CHECK(pool.open_connections() == 1);
}

TEST_CASE("an exhausted pool hands connections to waiting callers in arrival order", "[pool]") {
  TestDatabase db;
  ConnectionPool pool(config_for(db, 1, std::chrono::milliseconds(10000)));
  auto held = pool.acquire();

  std::mutex order_mutex;
  std::vector<int> order;
  auto caller = [&](int id) {
    auto lease = pool.acquire();
    lease->exec("select 1");
    std::lock_guard lock(order_mutex);
    order.push_back(id);
  };
  std::thread first(caller, 1);
  wait_until([&] { return pool.waiting() == 1; });
  std::thread second(caller, 2);
  wait_until([&] { return pool.waiting() == 2; });

  // A newcomer that arrives while others wait queues behind them, even at the
  // moment a connection comes back.
  held.release();
  std::thread third(caller, 3);
  first.join();
  second.join();
  third.join();
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(pool.open_connections() == 1);
}

TEST_CASE("a caller that cannot get a connection in time gets a clear error and leaves the queue", "[pool]") {
  TestDatabase db;
  ConnectionPool pool(config_for(db, 1, std::chrono::milliseconds(200)));
  auto held = pool.acquire();
  try {
    pool.acquire();
    FAIL("acquire should have timed out");
  } catch (const crm::storage::PgError& e) {
    CHECK(e.sqlstate() == "53300");
  }
  CHECK(pool.waiting() == 0);
  held.release();
  CHECK(pool.acquire()); // the pool still works
}

TEST_CASE("a connection left inside a transaction is closed, and its slot passes to a waiter", "[pool]") {
  TestDatabase db;
  ConnectionPool pool(config_for(db, 1, std::chrono::milliseconds(10000)));
  auto held = pool.acquire();
  held->exec("begin");

  std::atomic<bool> fresh_connection{false};
  std::thread waiter([&] {
    auto lease = pool.acquire();
    fresh_connection = lease->transaction_status() == PQTRANS_IDLE;
  });
  wait_until([&] { return pool.waiting() == 1; });
  held.release(); // still in a transaction: closed, not reused
  waiter.join();
  CHECK(fresh_connection);
  CHECK(pool.open_connections() == 1);
}
