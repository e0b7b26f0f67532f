// Events handled in batches on a real nats-server -js and PostgreSQL: the
// events of one fetch run in one transaction (fixture_pulse records each
// handler's transaction id), an event whose handler fails is rolled back
// alone, rows and inbox entry with it, and its neighbours commit.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("a consumer handles a fetch of events in one transaction and rolls back a failing one alone",
          "[events][batches]") {
  HostUnderTest host({"fixture_pulse"}, {{"CRM_EVENTS_CONSUMER_BATCH", "32"}, {"CRM_EVENTS_MAX_DELIVER", "5"}});
  auto sql = host.sql();
  // 100 events in one transaction: the relay publishes them together, so the
  // consumer finds many at each fetch. Those whose seq ends in 7 are refused.
  auto r = host.http().post("/api/fixture-pulse/emit", R"({"run":"refuse-batch","from":0,"count":100})");
  INFO(r.body);
  REQUIRE(r.status == 200);

  const std::string dead =
      "select count(*) from platform.dead_letters where consumer = 'fixture_pulse__record' and replayed_at is null";
  REQUIRE(eventually([&] {
    return sql.count("select count(*) from fixture_pulse.handled where run = 'refuse-batch'") == 90 &&
           sql.count(dead) == 10;
  }, std::chrono::seconds(30)));
  // Each accepted event once, no refused one: the refused rows went with their savepoints.
  CHECK(sql.count("select count(distinct seq) from fixture_pulse.handled where run = 'refuse-batch'") == 90);
  CHECK(sql.count("select count(*) from fixture_pulse.handled where run = 'refuse-batch' and seq % 10 = 7") == 0);
  // The inbox holds the handled events, and none of the refused ones (a
  // replay from the dead letters must run them).
  CHECK(sql.count("select count(*) from fixture_pulse.crm_inbox i join fixture_pulse.handled h "
                  "on h.event_id = i.event_id where i.consumer = 'fixture_pulse__record'") == 90);
  CHECK(sql.count("select count(*) from fixture_pulse.crm_inbox where consumer = 'fixture_pulse__record'") == 90);
  // Batches: far fewer transactions than events (one each without batching).
  const long long transactions =
      sql.count("select count(distinct txid) from fixture_pulse.handled where run = 'refuse-batch'");
  INFO(transactions << " transactions for 90 events");
  CHECK(transactions < 45);
}

TEST_CASE("with events.consumer_batch = 1 each event has a transaction of its own", "[events][batches]") {
  HostUnderTest host({"fixture_pulse"}, {{"CRM_EVENTS_CONSUMER_BATCH", "1"}});
  auto sql = host.sql();
  auto r = host.http().post("/api/fixture-pulse/emit", R"({"run":"one-by-one","from":0,"count":40})");
  REQUIRE(r.status == 200);
  REQUIRE(eventually([&] { return sql.count("select count(*) from fixture_pulse.handled where run = 'one-by-one'") == 40; },
                     std::chrono::seconds(30)));
  CHECK(sql.count("select count(distinct txid) from fixture_pulse.handled where run = 'one-by-one'") == 40);
}
