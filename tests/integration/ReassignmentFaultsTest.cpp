// The reassignment saga (workflows/reassignment.lua) under faults, on owners
// with thousands of records (so every step runs several batches):
//  - the host killed with SIGKILL three times in one run, at points the test
//    picks by holding a lock the saga runs into: after a batch committed and
//    before the engine recorded it, inside a batch's transaction, and inside
//    the notify step's transaction; and, in a run whose last step fails,
//    while it compensates;
//  - PostgreSQL and NATS restarted while a saga runs (private services, so no
//    other test's servers go down);
//  - two reassignments of the same user at once, and one from the target of
//    a running one.
// Each ends with every record moved exactly once: the saga's results, the
// transfer records and the customer.reassigned events agree with what the
// owners hold, and each user is told once.
// Tagged [faults]: build/bin/integration_tests "[faults]".
#include "support/ReassignmentFixture.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace itest;

namespace {

// Enough for several batches of 1,000 in each batched step.
const Holdings kLargeOwner{6000, 1500, 5000, 2510};

// Locks `from`'s live customer at position `rank` in the order the saga
// moves them (newest first, kBatch a batch): the batch holding it waits.
void hold_customer(RowLock& lock, const std::string& from, int rank) {
  // The row is picked first and locked alone: FOR UPDATE with OFFSET would
  // lock every row it skips as well.
  auto rows =
      lock.hold("select id from customer.customers where id = (select id from customer.customers where "
                "owner_id = $1::uuid and deleted_at is null order by created_at desc, id desc offset $2::int limit 1) "
                "for update",
                {from, std::to_string(rank)});
  REQUIRE(rows.size() == 1);
}

// The same for `from`'s OPEN tasks (moved by due date).
void hold_task(RowLock& lock, const std::string& from, int rank) {
  auto rows =
      lock.hold("select id from sales.tasks where id = (select id from sales.tasks where assignee_id = "
                "$1::uuid and status = 'OPEN' and deleted_at is null order by due_at, id offset $2::int limit 1) "
                "for update",
                {from, std::to_string(rank)});
  REQUIRE(rows.size() == 1);
}

void wait_until_blocked(ReassignmentHost& h, Sql& sql, const RowLock& lock, const std::string& instance,
                        const char* what) {
  const bool blocked = eventually([&] { return blocked_on(sql, lock); }, 60s, 20ms);
  INFO("waiting for the saga to reach " << what << "; instance " << instance_row(sql, instance) << "\n"
                                        << step_history(sql, instance) << h.process().log_tail(30));
  REQUIRE(blocked);
}

// `n` clients at once, a few requests each, through the auth plugin (users
// list): its pool ends up with about `n` idle connections.
void busy_host(ReassignmentHost& h, int n) {
  std::vector<std::thread> clients;
  const std::string token = h.auth.admin().access_token;
  const int port = h.process().port();
  for (int i = 0; i < n; ++i)
    clients.emplace_back([port, token] {
      try {
        Http http(port);
        for (int k = 0; k < 10; ++k) http.get("/api/auth/users?limit=1", {{"Authorization", bearer(token)}});
      } catch (const std::exception&) {
      }
    });
  for (auto& c : clients) c.join();
}

long long transferred(Sql& sql, const std::string& table, const std::string& transfer) {
  return sql.count("select count(*) from " + table + " where transfer = $1", {transfer});
}

} // namespace

TEST_CASE("a reassignment killed three times - between a batch and its record, inside a batch, inside its notify "
          "step - completes and moves every record exactly once",
          "[faults][reassignment][kill]") {
  ReassignmentHost h;
  Sql sql = h.sql();
  seed_owner(sql, h.from.id, h.manager.id, kLargeOwner);
  REQUIRE(holdings_of(sql, h.from.id) == kLargeOwner);

  // 1. The fourth customer batch commits, and the host dies before the
  // engine records it: on restart the batch runs again with the same key
  // and must change nothing (its first reply stands).
  RowLock customer(h.sql());
  hold_customer(customer, h.from.id, 3500);
  const std::string id = h.start(h.from, h.to);
  wait_until_blocked(h, sql, customer, id, "its fourth customer batch");
  CHECK(instance_row(sql, id).step == kCustomers);
  CHECK(instance_row(sql, id).batch == 3);
  RowLock record(h.sql());
  record.hold("select 1 from platform.workflow_instances where id = $1::uuid for update", {id});
  customer.release();
  wait_until_blocked(h, sql, record, id, "the record of its fourth customer batch");
  h.kill();
  CHECK(end_sessions_blocked_on(sql, record) == 1);
  record.release();
  CHECK(transferred(sql, "customer.transfers", id + ":customers") == 4000);
  CHECK(instance_row(sql, id).batch == 3);

  // 2. Inside the third task batch's transaction: it is lost with the host.
  RowLock task(h.sql());
  hold_task(task, h.from.id, 2500);
  h.restart();
  wait_until_blocked(h, sql, task, id, "its third task batch");
  CHECK(instance_row(sql, id).step == kTasks);
  CHECK(instance_row(sql, id).batch == 2);
  h.kill();
  CHECK(end_sessions_blocked_on(sql, task) == 1);
  task.release();
  CHECK(transferred(sql, "sales.transfers", id + ":tasks") == 2000);

  // 3. Inside the notify step: the test holds the new owner's notification
  // of this instance (uncommitted), so the step's insert waits on it.
  RowLock notification(h.sql());
  notification.hold("insert into analytics.notifications (user_id, kind, title, event_id) "
                    "values ($1::uuid, 'TEST', 'held by the test', $2::uuid)",
                    {h.to.id, id});
  h.restart();
  wait_until_blocked(h, sql, notification, id, "its notify step");
  CHECK(instance_row(sql, id).step == kNotify);
  h.kill();
  CHECK(end_sessions_blocked_on(sql, notification) == 1);
  notification.release();

  h.restart();
  wait_for_end(h, sql, id, "COMPLETED", 60s);

  CHECK(holdings_of(sql, h.from.id) == Holdings{});
  CHECK(holdings_of(sql, h.to.id) == kLargeOwner);
  expect_unmovable_kept(sql, h.from.id);
  expect_moved_once(sql, id, kLargeOwner);
  CHECK(notified_by(sql, id) == std::map<std::string, long long>{{h.to.id, 1}, {h.from.id, 1}, {h.manager.id, 1}});
}

TEST_CASE("a reassignment killed while it compensates finishes the compensation on restart - every record back "
          "once",
          "[faults][reassignment][kill]") {
  ReassignmentHost h;
  Sql sql = h.sql();
  seed_owner(sql, h.from.id, h.manager.id, kLargeOwner);
  // The summary's title ("Records of <name> were reassigned to you") grows
  // past what analytics.notify accepts: the last step fails every attempt.
  sql.query("update auth.users set name = repeat('n', 300) where id = $1::uuid", {h.from.id});

  const std::string id = h.start(h.from, h.to);
  const bool moved_on = eventually([&] { return instance_row(sql, id).step > kCustomers; }, 30s, 20ms);
  INFO(step_history(sql, id));
  REQUIRE(moved_on);
  // The customers are the target's now; the third batch moving them back
  // waits on one of them.
  RowLock customer(h.sql());
  auto held = customer.hold("select id from customer.customers where id = (select id from customer.transfers "
                            "where transfer = $1 order by id offset 2500 limit 1) for update",
                            {id + ":customers"});
  REQUIRE(held.size() == 1);
  wait_until_blocked(h, sql, customer, id, "the third batch of its customers' compensation");
  const InstanceRow at = instance_row(sql, id);
  CHECK(at.phase == "compensating");
  CHECK(at.step == kCustomers);
  CHECK(at.batch == 2);
  h.kill();
  CHECK(end_sessions_blocked_on(sql, customer) == 1);
  customer.release();
  CHECK(transferred(sql, "customer.transfers", id + ":customers") == 4000);

  h.restart();
  wait_for_end(h, sql, id, "COMPENSATED", 60s);
  CHECK(holdings_of(sql, h.from.id) == kLargeOwner);
  CHECK(holdings_of(sql, h.to.id) == Holdings{});
  expect_unmovable_kept(sql, h.from.id);
  // Every record recorded under a transfer was settled, once.
  for (const auto& [table, step] :
       std::vector<std::pair<std::string, std::string>>{{"customer.transfers", "customers"},
                                                        {"sales.transfers", "meetings"},
                                                        {"sales.transfers", "tasks"},
                                                        {"opportunity.transfers", "approvals"}})
    CHECK(transferred(sql, table, id + ":" + step) == 0);
  // Each customer is in one customer.reassigned event there and one back.
  auto ids = sql.query("select count(*)::text, count(distinct e.customer_id)::text from customer.crm_outbox o, "
                       "jsonb_array_elements_text(o.data -> 'ids') e (customer_id) where o.type = "
                       "'customer.reassigned' and o.data ->> 'transfer' = $1",
                       {id + ":customers"});
  CHECK(*ids[0][0] == std::to_string(2 * kLargeOwner.customers));
  CHECK(*ids[0][1] == std::to_string(kLargeOwner.customers));
  INFO(step_history(sql, id));
  CHECK(sql.count("select count(*) from (select 1 from platform.workflow_steps where instance_id = $1::uuid and "
                  "status = 'COMPLETED' group by run, phase, name having count(*) > 1) repeated",
                  {id}) == 0);
  CHECK(sql.count("select count(*) from platform.workflow_steps where instance_id = $1::uuid and name = 'notify' "
                  "and status = 'FAILED' and error like 'analytics.notify: %'",
                  {id}) == 5);
  CHECK(notified_by(sql, id).empty());
}

TEST_CASE("a reassignment goes on through a PostgreSQL restart and a NATS restart and completes",
          "[faults][reassignment][services]") {
  PrivateServices services;
  ReassignmentHost h;
  Sql sql = h.sql();
  seed_owner(sql, h.from.id, h.manager.id, kLargeOwner);

  // A busy host keeps several idle connections per plugin; the restart ends
  // them all, and the saga's later steps must not stumble over them.
  busy_host(h, 8);

  // PostgreSQL goes down while the third customer batch waits inside its
  // transaction (on the test's lock, which goes down with it).
  std::string id;
  {
    RowLock customer(h.sql());
    hold_customer(customer, h.from.id, 2500);
    id = h.start(h.from, h.to);
    wait_until_blocked(h, sql, customer, id, "its third customer batch");
    services.restart("postgres");
  }
  sql = h.sql();
  // The host takes the saga up again as soon as PostgreSQL is back, not once
  // its lease (30 s) has run out.
  const bool resumed = eventually([&] { return instance_row(sql, id).step > kCustomers; }, 20s, 100ms);
  INFO(instance_row(sql, id) << "\n" << step_history(sql, id) << h.process().log_tail(30));
  REQUIRE(resumed);

  // NATS goes down while the third task batch waits; the saga goes on without
  // it, and the events it leaves in the outboxes are relayed once NATS is back.
  {
    RowLock task(h.sql());
    hold_task(task, h.from.id, 2500);
    wait_until_blocked(h, sql, task, id, "its third task batch");
    services.stop("nats");
    task.release();
    const bool went_on = eventually([&] { return instance_row(sql, id).step >= kApprovals; }, 60s, 100ms);
    INFO(instance_row(sql, id) << "\n" << step_history(sql, id));
    CHECK(went_on);
    services.start("nats");
  }

  wait_for_end(h, sql, id, "COMPLETED", 60s);
  // Only the batch in flight when PostgreSQL went down may have failed an
  // attempt; none failed on a connection PostgreSQL had closed meanwhile.
  INFO(step_history(sql, id));
  CHECK(sql.count("select count(*) from platform.workflow_steps where instance_id = $1::uuid and status = 'FAILED'",
                  {id}) <= 1);
  CHECK(holdings_of(sql, h.from.id) == Holdings{});
  CHECK(holdings_of(sql, h.to.id) == kLargeOwner);
  expect_unmovable_kept(sql, h.from.id);
  expect_moved_once(sql, id, kLargeOwner);
  CHECK(notified_by(sql, id) == std::map<std::string, long long>{{h.to.id, 1}, {h.from.id, 1}, {h.manager.id, 1}});

  // Every customer.reassigned event of the saga reached its consumers, once.
  const long long events = sql.count("select count(*) from customer.crm_outbox where type = 'customer.reassigned' "
                                     "and data ->> 'transfer' = $1",
                                     {id + ":customers"});
  CHECK(events == 6); // a batch of 1,000 an event; the last batch finds none and emits nothing
  const bool delivered = eventually(
      [&] {
        return sql.count("select count(*) from customer.crm_outbox where published_at is null") == 0 &&
               sql.count("select count(*) from analytics.crm_inbox i join customer.crm_outbox o on o.id = i.event_id "
                         "where o.data ->> 'transfer' = $1 and i.consumer = 'analytics__project_customer_reassigned'",
                         {id + ":customers"}) == events;
      },
      40s, 200ms);
  INFO(h.process().log_tail(30));
  CHECK(delivered);
}

TEST_CASE("two reassignments of the same user at once both complete - each record goes to exactly one of them",
          "[faults][reassignment][concurrency]") {
  ReassignmentHost h;
  Sql sql = h.sql();
  const Holdings seeded{4000, 600, 4000, 30};
  seed_owner(sql, h.from.id, h.manager.id, seeded);

  // Both wait on the owner's first customer (one on the test's lock, the
  // other behind it), then go for the same rows together.
  RowLock first(h.sql());
  hold_customer(first, h.from.id, 0);
  const std::string to_one = h.start(h.from, h.to);
  const std::string to_other = h.start(h.from, h.other);
  const bool both_waiting = eventually(
      [&] {
        return sql.count("select count(*) from pg_stat_activity where datname = current_database() and "
                         "wait_event_type = 'Lock'") == 2;
      },
      30s, 20ms);
  INFO(h.process().log_tail(30));
  REQUIRE(both_waiting);
  first.release();

  wait_for_end(h, sql, to_one, "COMPLETED", 60s);
  wait_for_end(h, sql, to_other, "COMPLETED", 60s);

  const Holdings one = holdings_of(sql, h.to.id), other = holdings_of(sql, h.other.id);
  INFO("to " << one << ", other " << other);
  CHECK(holdings_of(sql, h.from.id) == Holdings{});
  CHECK(one + other == seeded);
  CHECK(one.customers > 0);
  CHECK(other.customers > 0);
  expect_unmovable_kept(sql, h.from.id);
  expect_moved_once(sql, to_one, one);
  expect_moved_once(sql, to_other, other);
  CHECK(moved_by_both(sql, to_one, to_other) == 0);
  CHECK(notified_by(sql, to_one) == std::map<std::string, long long>{{h.to.id, 1}, {h.from.id, 1}, {h.manager.id, 1}});
  CHECK(notified_by(sql, to_other) ==
        std::map<std::string, long long>{{h.other.id, 1}, {h.from.id, 1}, {h.manager.id, 1}});
}

TEST_CASE("a reassignment from the target of a running one completes alongside it - each record ends with one owner",
          "[faults][reassignment][concurrency]") {
  ReassignmentHost h;
  Sql sql = h.sql();
  const Holdings of_from{4000, 600, 3000, 30}, of_to{1500, 200, 1500, 20};
  seed_owner(sql, h.from.id, h.manager.id, of_from);
  seed_owner(sql, h.to.id, h.manager.id, of_to);

  // from -> to is part way through its customers when to -> other starts.
  RowLock customer(h.sql());
  hold_customer(customer, h.from.id, 2500);
  const std::string first = h.start(h.from, h.to);
  wait_until_blocked(h, sql, customer, first, "its third customer batch");
  const std::string second = h.start(h.to, h.other);
  const bool second_going = eventually(
      [&] {
        const auto row = instance_row(sql, second);
        return row.step > kCustomers || row.batch >= 1 || row.status != "RUNNING";
      },
      30s, 20ms);
  INFO(step_history(sql, second));
  CHECK(second_going);
  customer.release();

  wait_for_end(h, sql, first, "COMPLETED", 60s);
  wait_for_end(h, sql, second, "COMPLETED", 60s);

  const Holdings with_to = holdings_of(sql, h.to.id), with_other = holdings_of(sql, h.other.id);
  INFO("to " << with_to << ", other " << with_other);
  CHECK(holdings_of(sql, h.from.id) == Holdings{});
  CHECK(with_to + with_other == of_from + of_to);
  // The first moved all of from's records once, some of them on further since.
  expect_moved_once(sql, first, of_from, true);
  // The second moved what `other` holds now, once each, and it stayed there.
  expect_moved_once(sql, second, with_other);
  CHECK(with_other.customers >= 2000 + of_to.customers); // at least what to held when it started
  expect_unmovable_kept(sql, h.from.id);
  expect_unmovable_kept(sql, h.to.id);
}
