// PgConnection's prepared statements against a real PostgreSQL: a statement
// prepared while its table was empty is prepared again as it is used, so its
// plan follows the table's size instead of keeping the first one until the
// next ANALYZE; the server is left with one statement per text, not a trail.
#include "support/TestDatabase.hpp"

#include "storage/PgConnection.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace itest;
using crm::storage::PgConnection;

namespace {

// The names the server holds for `text`, and the plan PostgreSQL would run for
// the one there is (EXPLAIN EXECUTE shows a statement's cached plan).
struct Prepared {
  int count = 0;
  std::string name, plan;
};

Prepared prepared_for(PgConnection& conn, const std::string& text) {
  const char* p[] = {text.c_str()};
  auto names = conn.query("select name from pg_prepared_statements where statement = $1", p, 1);
  Prepared out;
  out.count = names.rows();
  if (out.count != 1) return out;
  out.name = names.value(0, 0);
  auto plan = conn.exec("explain execute " + out.name);
  for (int i = 0; i < plan.rows(); ++i) out.plan += std::string(plan.value(i, 0)) + "\n";
  return out;
}

} // namespace

TEST_CASE("a statement prepared on an empty table is planned again once the table has grown", "[pg][plans]") {
  TestDatabase db;
  PgConnection conn(db.dsn(), db.password(), "set client_min_messages = warning");
  conn.exec("create table queue (seq bigserial primary key, done_at timestamptz, body text);"
            "create index queue_pending on queue (seq) where done_at is null");
  // No parameters: PostgreSQL keeps such a statement's one plan until the
  // table is analysed, and autovacuum is off for this table.
  conn.exec("alter table queue set (autovacuum_enabled = false)");
  const std::string text = "select seq, body from queue where done_at is null order by seq limit 10";

  CHECK(conn.query(text, nullptr, 0).rows() == 0);
  const auto first = prepared_for(conn, text);
  REQUIRE(first.count == 1);
  INFO("plan on the empty table:\n" << first.plan);
  CHECK(first.plan.find("Sort") != std::string::npos);

  // 200,000 rows, the first 190,000 done: the queue's head is far in.
  conn.exec("insert into queue (done_at, body) select case when g <= 190000 then now() end, repeat('x', 100) "
            "from generate_series(1, 200000) g");
  const auto stale = prepared_for(conn, text);
  INFO("the first plan, still cached:\n" << stale.plan);
  CHECK(stale.name == first.name);
  CHECK(stale.plan.find("Sort") != std::string::npos);

  for (int i = 0; i < 40; ++i) REQUIRE(conn.query(text, nullptr, 0).rows() == 10);
  const auto again = prepared_for(conn, text);
  REQUIRE(again.count == 1);
  INFO("plan after 40 uses:\n" << again.plan);
  CHECK(again.name != first.name);
  CHECK(again.plan.find("Index Scan using queue_pending") != std::string::npos);
  CHECK(again.plan.find("Sort") == std::string::npos);
}

TEST_CASE("a statement used thousands of times stays one statement on the server", "[pg][plans]") {
  TestDatabase db;
  PgConnection conn(db.dsn(), db.password(), "");
  const std::string text = "select $1::int + 1";
  for (int i = 0; i < 3000; ++i) {
    const std::string n = std::to_string(i);
    const char* p[] = {n.c_str()};
    // Every other one with its BEGIN in the same round trip, as operations send them.
    auto r = conn.query(text, p, 1, i % 2 ? "begin" : nullptr);
    REQUIRE(std::string(r.value(0, 0)) == std::to_string(i + 1));
    if (i % 2) conn.exec("commit");
  }
  const char* p[] = {text.c_str()};
  CHECK(std::string(conn.query("select count(*) from pg_prepared_statements where statement = $1", p, 1).value(0, 0)) ==
        "1");
  auto all = conn.exec("select count(*) from pg_prepared_statements");
  // The text, and the lookup just above.
  CHECK(std::string(all.value(0, 0)) == "2");
}
