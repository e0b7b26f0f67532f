// ReassignmentFixture: what the reassignment fault tests share.
//
//  - ReassignmentHost: a crm-host with the shipped auth, customer, sales,
//    opportunity and analytics plugins and the shipped
//    workflows/reassignment.lua, and the users a reassignment needs.
//  - seed_owner(): a large owner made in one go with SQL straight into the
//    plugins' schemas (the REST API would take minutes for thousands), plus
//    records of the owner that no reassignment may move (past meetings, done
//    tasks, deleted customers, decided approvals).
//  - RowLock: a transaction of the test's own that holds a lock the saga will
//    run into, so a fault lands at a chosen point of a run instead of at a
//    moment guessed by polling; blocked_on() tells that the host waits on it.
//  - PrivateServices: PostgreSQL, NATS and Redis of the test's own (from
//    scripts/services), for tests that restart them, which must not disturb
//    anything else using the shared ones.
//  - the checks that a reassignment moved every record exactly once.
#pragma once

#include "support/AnalyticsHost.hpp"
#include "support/PrivateServices.hpp"
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <libpq-fe.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace itest {

// ---------------------------------------------------------------- host

// The shipped workflows/reassignment.lua with batches of kBatch records: the
// fault points and counts below are in batches of that size, whatever size
// the script ships with.
inline constexpr int kBatch = 1000;

inline std::string reassignment_source() {
  std::string source = shipped_workflow("reassignment.lua");
  const std::string batch_line = "\nlocal BATCH = ";
  const auto at = source.find(batch_line);
  INFO("reassignment.lua should set its batch size in one line 'local BATCH = <n>'");
  REQUIRE(at != std::string::npos);
  REQUIRE(source.find(batch_line, at + 1) == std::string::npos);
  const auto value = at + batch_line.size();
  source.replace(value, source.find('\n', value) - value, std::to_string(kBatch));
  return source;
}

inline AuthHostOptions reassignment_options(const std::map<std::string, std::string>& env = {}) {
  AuthHostOptions options = analytics_options({{"reassignment.lua", reassignment_source()}}, {"opportunity"});
  for (const auto& [k, v] : env) options.env[k] = v;
  return options;
}

// A host ready to reassign: every plugin's tables there, the saga live, and
// the users: `from` (SALES, in `manager`'s team) owns what moves; `to` and
// `other` (SALES) receive it.
struct ReassignmentHost {
  AuthHost auth;
  Account manager, from, to, other;

  explicit ReassignmentHost(const std::map<std::string, std::string>& env = {}) : auth(reassignment_options(env)) {
    Sql sql = this->sql();
    const bool migrated = eventually(
        [&] {
          return sql.count("select count(*) from (values ('customer.transfers'), ('sales.transfers'), "
                           "('opportunity.transfers'), ('analytics.notifications')) t(name) "
                           "where to_regclass(t.name) is not null") == 4;
        },
        20s, 100ms);
    INFO(auth.host().process().log_tail(30));
    REQUIRE(migrated);
    wait_until_live();
    manager = auth.create_user_only("MANAGER");
    from = auth.create_user_only("SALES", manager.id);
    to = auth.create_user_only("SALES");
    other = auth.create_user_only("SALES");
  }

  HostProcess& process() { return auth.host().process(); }
  Sql sql() { return auth.host().sql(); }

  // GET /api/workflows/reassignment answers once the file is stored and live.
  void wait_until_live() {
    const bool live = eventually(
        [&] { return auth.get("/api/workflows/reassignment", auth.admin().access_token).status == 200; }, 20s, 100ms);
    INFO(auth.host().process().log_tail(30));
    REQUIRE(live);
  }

  // POST /api/sagas/reassignment as the ADMIN; requires 202; the instance id.
  std::string start(const Account& from_user, const Account& to_user) {
    auto r = auth.call("POST", "/api/sagas/reassignment",
                       R"({"fromUserId":")" + from_user.id + R"(","toUserId":")" + to_user.id + R"("})",
                       auth.admin().access_token);
    INFO("POST /api/sagas/reassignment -> " << r.status << " " << r.body);
    REQUIRE(r.status == 202);
    const std::string id = text_of(r.json(), "workflowInstanceId");
    REQUIRE(!id.empty());
    return id;
  }

  // SIGKILL, as a crash would: no clean-up of any kind.
  void kill() {
    process().kill();
    REQUIRE(process().wait_for_exit(10s));
  }
  // The same host again: same port (so the same workflow host id), config and database.
  void restart() {
    process().start();
    process().wait_until_live();
    auth.http().reset();
  }
};

// ---------------------------------------------------------------- seeding

// What one user holds that a reassignment moves.
struct Holdings {
  long long customers = 0, meetings = 0, tasks = 0, approvals = 0;
  bool operator==(const Holdings&) const = default;
  Holdings operator+(const Holdings& o) const {
    return {customers + o.customers, meetings + o.meetings, tasks + o.tasks, approvals + o.approvals};
  }
};

inline std::ostream& operator<<(std::ostream& out, const Holdings& h) {
  return out << "{customers " << h.customers << ", meetings " << h.meetings << ", tasks " << h.tasks << ", approvals "
             << h.approvals << "}";
}

// Gives `owner` what `h` says, by SQL: live customers, future meetings, OPEN
// tasks, PENDING approvals (requested by the owner and decided by `approver`;
// of them, up to 10 the other way round: requested by `approver`, waiting for
// the owner's decision). Besides, what must stay with the owner: 3 deleted
// customers, 4 past meetings, 5 done tasks and 6 decided approvals.
inline void seed_owner(Sql& sql, const std::string& owner, const std::string& approver, const Holdings& h) {
  auto n = [](long long v) { return std::to_string(v); };
  sql.query("insert into customer.customers (name, owner_id) select 'Seeded ' || n, $1::uuid "
            "from generate_series(1, $2::int) n",
            {owner, n(h.customers)});
  sql.query("insert into customer.customers (name, owner_id, deleted_at) select 'Deleted ' || n, $1::uuid, now() "
            "from generate_series(1, 3) n",
            {owner});
  sql.query("insert into sales.meetings (customer_id, owner_id, title, scheduled_at) select gen_random_uuid(), "
            "$1::uuid, 'Seeded visit', now() + interval '30 days' + n * interval '1 minute' "
            "from generate_series(1, $2::int) n",
            {owner, n(h.meetings)});
  sql.query("insert into sales.meetings (customer_id, owner_id, title, scheduled_at) select gen_random_uuid(), "
            "$1::uuid, 'Past visit', now() - n * interval '1 day' from generate_series(1, 4) n",
            {owner});
  sql.query("insert into sales.tasks (assignee_id, title, due_at) select $1::uuid, 'Seeded task ' || n, "
            "now() + interval '30 days' from generate_series(1, $2::int) n",
            {owner, n(h.tasks)});
  sql.query("insert into sales.tasks (assignee_id, title, due_at, status, completed_at) select $1::uuid, "
            "'Done task', now() - interval '1 day', 'DONE', now() from generate_series(1, 5) n",
            {owner});
  const long long approving = std::min(10LL, h.approvals);
  sql.query("insert into opportunity.approvals (customer_id, requester_id, title, amount, level, required_levels, "
            "current_approver_id) select gen_random_uuid(), $1::uuid, 'Seeded deal ' || n, n, 1, 1, $2::uuid "
            "from generate_series(1, $3::int) n",
            {owner, approver, n(h.approvals - approving)});
  sql.query("insert into opportunity.approvals (customer_id, requester_id, title, amount, level, required_levels, "
            "current_approver_id) select gen_random_uuid(), $2::uuid, 'Seeded decision ' || n, n, 1, 1, $1::uuid "
            "from generate_series(1, $3::int) n",
            {owner, approver, n(approving)});
  sql.query("insert into opportunity.approvals (customer_id, requester_id, title, amount, level, required_levels, "
            "status, decided_at) select gen_random_uuid(), $1::uuid, 'Decided deal', 10, 1, 1, 'APPROVED', now() "
            "from generate_series(1, 6) n",
            {owner});
}

// What `user` holds now, of what a reassignment moves.
inline Holdings holdings_of(Sql& sql, const std::string& user) {
  Holdings h;
  h.customers =
      sql.count("select count(*) from customer.customers where owner_id = $1::uuid and deleted_at is null", {user});
  h.meetings = sql.count("select count(*) from sales.meetings where owner_id = $1::uuid and scheduled_at > now() "
                         "and deleted_at is null",
                         {user});
  h.tasks = sql.count("select count(*) from sales.tasks where assignee_id = $1::uuid and status = 'OPEN' and "
                      "deleted_at is null",
                      {user});
  h.approvals = sql.count("select count(*) from opportunity.approvals where status = 'PENDING' and "
                          "(requester_id = $1::uuid or current_approver_id = $1::uuid)",
                          {user});
  return h;
}

// The records of `seed_owner` that no reassignment moves are still `user`'s.
inline void expect_unmovable_kept(Sql& sql, const std::string& user) {
  CHECK(sql.count("select count(*) from customer.customers where owner_id = $1::uuid and deleted_at is not null",
                  {user}) == 3);
  CHECK(sql.count("select count(*) from sales.meetings where owner_id = $1::uuid and scheduled_at < now()", {user}) ==
        4);
  CHECK(sql.count("select count(*) from sales.tasks where assignee_id = $1::uuid and status = 'DONE'", {user}) == 5);
  CHECK(sql.count("select count(*) from opportunity.approvals where requester_id = $1::uuid and status = 'APPROVED'",
                  {user}) == 6);
}

// ---------------------------------------------------------------- locks

// A transaction of the test's own, on its own connection, holding the locks
// its statements took until release() (or destruction) rolls it back.
class RowLock {
public:
  explicit RowLock(Sql sql) : sql_(std::move(sql)) { sql_.exec("begin"); }
  ~RowLock() { release(); }
  RowLock(const RowLock&) = delete;
  RowLock& operator=(const RowLock&) = delete;

  // A statement inside the transaction; its rows.
  SqlRows hold(const std::string& statement, const std::vector<SqlValue>& params = {}) {
    return sql_.query(statement, params);
  }
  void release() {
    if (!open_) return;
    open_ = false;
    try {
      sql_.exec("rollback");
    } catch (const std::exception&) {
    }
  }
  int backend_pid() const { return PQbackendPID(sql_.raw()); }

private:
  Sql sql_;
  bool open_ = true;
};

// True once some session waits on a lock `lock` holds.
inline bool blocked_on(Sql& sql, const RowLock& lock) {
  return sql.count("select count(*) from pg_stat_activity where $1::int = any (pg_blocking_pids(pid))",
                   {std::to_string(lock.backend_pid())}) > 0;
}

// Ends the sessions waiting on `lock`; returns how many. After a SIGKILL the
// dead host's session that waits on a lock is still there (PostgreSQL notices
// the closed connection only when it next talks to it): left alone, it would
// finish its statement once the lock goes, and a lone UPDATE would even
// commit. Ending it makes the crash lose exactly what was in flight.
inline long long end_sessions_blocked_on(Sql& sql, const RowLock& lock) {
  return sql.count("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity "
                   "where $1::int = any (pg_blocking_pids(pid))) ended",
                   {std::to_string(lock.backend_pid())});
}

// ---------------------------------------------------------------- instances

struct InstanceRow {
  std::string status, phase;
  int step = -1, batch = -1;
};

inline std::ostream& operator<<(std::ostream& out, const InstanceRow& i) {
  return out << "{status " << i.status << ", step " << i.step << ", phase " << i.phase << ", batch " << i.batch << "}";
}

// The saga's steps, as reassignment.lua orders them.
enum ReassignmentStep { kCustomers = 0, kMeetings = 1, kTasks = 2, kApprovals = 3, kNotify = 4 };

inline InstanceRow instance_row(Sql& sql, const std::string& id) {
  auto rows = sql.query("select status, step::text, phase, batch::text from platform.workflow_instances "
                        "where id = $1::uuid",
                        {id});
  REQUIRE(rows.size() == 1);
  return InstanceRow{*rows[0][0], *rows[0][2], std::stoi(*rows[0][1]), std::stoi(*rows[0][3])};
}

// The instance's step records, for a failure message.
inline std::string step_history(Sql& sql, const std::string& id) {
  std::string out;
  for (const auto& row : sql.query("select name || ' ' || phase || ' ' || status || ' attempt ' || attempt || "
                                   "coalesce(' ' || error, '') from platform.workflow_steps where instance_id = "
                                   "$1::uuid order by id",
                                   {id}))
    out += *row[0] + "\n";
  return out;
}

// Waits until the instance ends in `status`; fails with its history otherwise.
inline void wait_for_end(ReassignmentHost& h, Sql& sql, const std::string& id, const std::string& status,
                         std::chrono::seconds timeout) {
  InstanceRow last;
  const bool ended = eventually(
      [&] {
        last = instance_row(sql, id);
        return last.status != "RUNNING" && last.status != "WAITING";
      },
      timeout, 100ms);
  INFO("instance " << id << " is " << last << "; its steps:\n" << step_history(sql, id) << h.process().log_tail(40));
  REQUIRE(ended);
  REQUIRE(last.status == status);
}

// ---------------------------------------------------------------- checks

// What one reassignment instance moved, by every record it keeps.
struct Moved {
  Holdings results;                                // ctx.results[step].count, summed over the batches
  Holdings transferred;                            // rows recorded under its transfers
  long long event_ids = 0, distinct_event_ids = 0; // customer ids in its customer.reassigned events
  long long repeated_steps = 0;                    // forward step records (a step or a batch) written more than once
  long long elsewhere = 0;                         // transfer rows whose record its target does not hold now
};

inline Moved moved_by(Sql& sql, const std::string& instance) {
  Moved m;
  auto vars = sql.scalar("select vars::text from platform.workflow_instances where id = $1::uuid", {instance});
  REQUIRE(vars);
  Poco::JSON::Parser parser;
  auto results = parser.parse(*vars).extract<Poco::JSON::Object::Ptr>()->getObject("results");
  REQUIRE(results);
  auto count = [&](const char* step) -> long long {
    auto o = results->getObject(step);
    return o && o->has("count") ? o->getValue<long long>("count") : -1;
  };
  m.results = {count("customers"), count("meetings"), count("tasks"), count("approvals")};
  const std::string key = instance + ":";
  m.transferred.customers =
      sql.count("select count(*) from customer.transfers where transfer = $1", {key + "customers"});
  m.transferred.meetings =
      sql.count("select count(*) from sales.transfers where transfer = $1 and kind = 'meeting'", {key + "meetings"});
  m.transferred.tasks =
      sql.count("select count(*) from sales.transfers where transfer = $1 and kind = 'task'", {key + "tasks"});
  m.transferred.approvals =
      sql.count("select count(*) from opportunity.transfers where transfer = $1", {key + "approvals"});
  auto ids =
      sql.query("select count(*)::text, count(distinct e.customer_id)::text from customer.crm_outbox o, "
                "jsonb_array_elements_text(o.data -> 'ids') e (customer_id) where o.type = 'customer.reassigned' "
                "and o.data ->> 'transfer' = $1",
                {key + "customers"});
  m.event_ids = std::stoll(*ids[0][0]);
  m.distinct_event_ids = std::stoll(*ids[0][1]);
  m.repeated_steps = sql.count("select count(*) from (select 1 from platform.workflow_steps where instance_id = "
                               "$1::uuid and phase = 'forward' and status = 'COMPLETED' group by run, name "
                               "having count(*) > 1) repeated",
                               {instance});
  m.elsewhere =
      sql.count("select count(*) from customer.transfers t join customer.customers c using (id) "
                "where t.transfer = $1 and c.owner_id <> t.to_user",
                {key + "customers"}) +
      sql.count("select count(*) from sales.transfers t join sales.tasks x using (id) where t.transfer = $1 "
                "and x.assignee_id <> t.to_user",
                {key + "tasks"}) +
      sql.count("select count(*) from sales.transfers t join sales.meetings x using (id) where t.transfer = $1 "
                "and x.owner_id <> t.to_user",
                {key + "meetings"});
  return m;
}

// The instance moved exactly `expected`, each record once: its results, its
// transfer records and its events agree, no batch was recorded twice, and
// what it moved is still with its target (unless `passed_on`: a later
// reassignment may have taken some further).
inline void expect_moved_once(Sql& sql, const std::string& instance, const Holdings& expected, bool passed_on = false) {
  const Moved m = moved_by(sql, instance);
  INFO("instance " << instance << "\n" << step_history(sql, instance));
  CHECK(m.results == expected);
  CHECK(m.transferred == expected);
  CHECK(m.event_ids == expected.customers);
  CHECK(m.distinct_event_ids == expected.customers);
  CHECK(m.repeated_steps == 0);
  if (!passed_on) CHECK(m.elsewhere == 0);
}

// No customer or task is recorded under both instances' transfers.
inline long long moved_by_both(Sql& sql, const std::string& a, const std::string& b) {
  return sql.count("select count(*) from customer.transfers x join customer.transfers y using (id) "
                   "where x.transfer = $1 || ':customers' and y.transfer = $2 || ':customers'",
                   {a, b}) +
         sql.count("select count(*) from sales.transfers x join sales.transfers y using (kind, id) "
                   "where x.transfer = $1 || ':tasks' and y.transfer = $2 || ':tasks'",
                   {a, b});
}

// The notifications the instance's last step sent: user id -> how many.
inline std::map<std::string, long long> notified_by(Sql& sql, const std::string& instance) {
  std::map<std::string, long long> out;
  for (const auto& row : sql.query("select user_id::text, count(*)::text from analytics.notifications "
                                   "where event_id = $1::uuid group by user_id",
                                   {instance}))
    out[*row[0]] = std::stoll(*row[1]);
  return out;
}

} // namespace itest
