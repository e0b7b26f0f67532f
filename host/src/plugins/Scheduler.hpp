// Scheduler: runs the plugins' schedules ({"1m", "sales.scan_due_tasks"}).
// Each schedule is a row of platform.schedules with its next run time; every
// host looks once a second and a host that claims a due row (moving its next
// run on in the same statement, rows locked with SKIP LOCKED) is the only one
// that runs that occurrence, through the invoker as the system principal. A
// host down at the time simply leaves the run to another; a run lost with a
// crashed host is not repeated (schedules are scans that catch up next time).
#pragma once

#include "plugins/Invoker.hpp"
#include "plugins/PluginRegistry.hpp"
#include "storage/ConnectionPool.hpp"

#include <atomic>
#include <string>
#include <thread>

namespace crm::plugins {

class Scheduler {
public:
  Scheduler(PluginRegistry& registry, Invoker& invoker, storage::ConnectionPool& pool, std::string host_id);
  ~Scheduler(); // stops and joins

  void start();
  // "30s", "1m", "2h", "1d" -> seconds; 0 for anything else.
  static long long every_seconds(const std::string& every);

private:
  void run();
  void tick(storage::PgConnection& conn);

  PluginRegistry& registry_;
  Invoker& invoker_;
  storage::ConnectionPool& pool_;
  std::string host_id_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace crm::plugins
