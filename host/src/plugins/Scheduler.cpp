// Scheduler: see the header.
#include "plugins/Scheduler.hpp"

#include "log/Log.hpp"
#include "storage/PgError.hpp"

#include <cctype>
#include <chrono>

namespace crm::plugins {

Scheduler::Scheduler(PluginRegistry& registry, Invoker& invoker, storage::ConnectionPool& pool, std::string host_id)
    : registry_(registry), invoker_(invoker), pool_(pool), host_id_(std::move(host_id)) {}

Scheduler::~Scheduler() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Scheduler::start() {
  thread_ = std::thread([this] { run(); });
}

long long Scheduler::every_seconds(const std::string& every) {
  size_t i = 0;
  while (i < every.size() && std::isdigit(static_cast<unsigned char>(every[i]))) ++i;
  if (i == 0 || i > 6) return 0;
  const long long n = std::stoll(every.substr(0, i));
  const std::string unit = every.substr(i);
  if (unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return 0;
}

void Scheduler::run() {
  while (!stop_) {
    try {
      auto conn = pool_.acquire();
      tick(*conn);
    } catch (const std::exception& e) {
      log::warn("schedules", std::string("cannot run schedules now: ") + e.what(), {});
    }
    for (int i = 0; i < 20 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Scheduler::tick(storage::PgConnection& conn) {
  auto snapshot = registry_.snapshot();
  std::string operations = "{";
  bool any = false;
  for (const auto& plugin : snapshot->plugins) {
    for (const auto& s : plugin->schedules) {
      const long long every = every_seconds(s.every);
      if (every <= 0) continue;
      const std::string seconds = std::to_string(every);
      const char* p[] = {s.operation.c_str(), plugin->name.c_str(), seconds.c_str()};
      // The first host to see a schedule runs it at once; a changed interval applies from the next run.
      conn.query("insert into platform.schedules (operation, plugin, every_seconds, next_run_at) "
                 "values ($1, $2, $3::int, now()) on conflict (operation) do update set "
                 "every_seconds = excluded.every_seconds, plugin = excluded.plugin "
                 "where platform.schedules.every_seconds <> excluded.every_seconds",
                 p, 3);
      operations += (any ? ",\"" : "\"") + s.operation + "\"";
      any = true;
    }
  }
  if (!any) return;
  operations += "}";
  const char* p[] = {operations.c_str(), host_id_.c_str()};
  auto due = conn.query("with due as (select operation from platform.schedules where next_run_at <= now() "
                        "and operation = any($1::text[]) for update skip locked) "
                        "update platform.schedules s set next_run_at = now() + make_interval(secs => s.every_seconds), "
                        "last_run_at = now(), last_host = $2 from due where s.operation = due.operation "
                        "returning s.operation",
                        p, 2);
  for (int i = 0; i < due.rows() && !stop_; ++i) {
    const std::string name = due.value(i, 0);
    const Operation* op = registry_.find_operation(name);
    if (!op) continue;
    Invocation inv;
    inv.op = op;
    inv.principal = &security::Principal::system_caller();
    const std::string request_id = "schedule:" + name;
    inv.request_id = request_id.c_str();
    inv.trace_id = request_id.c_str();
    const auto started = std::chrono::steady_clock::now();
    Outcome o = invoker_.invoke(inv);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (o.status != CRM_OK)
      log::warn("schedules", "scheduled run failed: " + o.message, {{"operation", name}});
    else
      log::debug("schedules", "scheduled run done in " + std::to_string(static_cast<long long>(ms)) + " ms",
                 {{"operation", name}});
  }
}

} // namespace crm::plugins
