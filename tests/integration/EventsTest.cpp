// Events end to end on a real nats-server -js: the outbox relay publishes what
// operations committed, durable consumers deliver it to fixture_cpp's
// subscription (which records each effect in fixture_cpp.received), a
// redelivery has no second effect, a poison event lands in the dead letters and
// replays once fixed, and a NATS outage loses nothing.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/PrivateServices.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace itest;

namespace {

// name -> how many times fixture_cpp handled an item.created with that name.
std::map<std::string, long long> received(HostUnderTest& host) {
  std::map<std::string, long long> out;
  auto sql = host.sql();
  for (const auto& row : sql.query("select name, count(*) from fixture_cpp.received group by name"))
    out[*row[0]] = std::stoll(*row[1]);
  return out;
}

bool wait_for(const std::function<bool()>& condition, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  return eventually(condition, timeout, std::chrono::milliseconds(100));
}

Response post_item(Http& http, const std::string& name, const std::string& request_id = {}) {
  Headers headers;
  if (!request_id.empty()) headers.emplace_back("X-Request-Id", request_id);
  return http.post("/api/fixture-c/items", R"({"name":")" + name + R"("})", headers);
}

Poco::JSON::Array::Ptr dead_letters(HostUnderTest& host, const std::string& status = "open") {
  auto r = host.http().get("/api/events/dlq?status=" + status, {{"Authorization", bearer(HostUnderTest::admin_token())}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json()->getArray("items");
}


} // namespace

TEST_CASE("a committed operation's events are delivered exactly once, a failed one's never", "[events]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  Http& http = host.http();
  for (const std::string name : {"first", "second", "third"}) REQUIRE(post_item(http, name).status == 201);
  REQUIRE(post_item(http, "traced", "trace-4bf92f3577b34da6").status == 201);
  // Refused before the handler, and failing after its insert and emit: no events.
  REQUIRE(http.post("/api/fixture-c/items", R"({"name":""})").status == 422);
  REQUIRE(http.post("/api/fixture-cpp/things", R"({"name":"fail-after-insert"})").status == 409);

  const std::map<std::string, long long> expected{{"first", 1}, {"second", 1}, {"third", 1}, {"traced", 1}};
  CHECK(wait_for([&] { return received(host) == expected; }));
  // Give a stray second delivery the chance to show up, then look again.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(received(host) == expected);

  auto sql = host.sql();
  CHECK(sql.count("select count(*) from fixture_c.crm_outbox where published_at is null") == 0);
  CHECK(sql.count("select count(*) from fixture_cpp.crm_outbox") == 0);
  // The request's id travels as the event's trace id into the handler.
  CHECK(sql.count("select count(*) from fixture_cpp.received where name = 'traced' and "
                  "traceparent = 'trace-4bf92f3577b34da6'") == 1);
}

TEST_CASE("an event redelivered while its first delivery is still running has no second effect", "[events]") {
  // The handler of "slow-*" takes 2 s; unacknowledged for 1 s, NATS delivers
  // the event again while the first delivery is in its transaction. A second
  // host sharing the durable consumer has a pull waiting, so it is the one
  // that gets the redelivery, at once and concurrently (one host alone only
  // asks again after it has finished, by which time its ack may be in).
  HostUnderTest host({"fixture_c", "fixture_cpp"}, {{"CRM_EVENTS_ACK_WAIT_MS", "1000"}});
  auto second = host.another_host("second", {{"CRM_EVENTS_ACK_WAIT_MS", "1000"}});
  second->start();
  second->wait_until_live();
  REQUIRE(post_item(host.http(), "slow-once").status == 201);
  CHECK(wait_for([&] { return received(host)["slow-once"] == 1; }));
  std::this_thread::sleep_for(std::chrono::seconds(4)); // every redelivery has come and gone
  CHECK(received(host)["slow-once"] == 1);
  // It was delivered more than once, and the later deliveries were skipped.
  double duplicates = 0;
  for (int port : {host.port(), second->port()}) {
    auto metrics = Http(port).get("/metrics");
    INFO(metrics.body);
    duplicates += metric_value(metrics.body, "crm_consumer_duplicates", {{"consumer", "fixture_cpp__on_item_created"}})
                      .value_or(0);
  }
  CHECK(duplicates >= 1);
}

TEST_CASE("a poison event goes to the dead letters after max_deliver and replays once fixed", "[events][dlq]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"},
                     {{"CRM_EVENTS_MAX_DELIVER", "3"}, {"CRM_EVENTS_RETRY_DELAYS_MS", "200"}});
  Http& http = host.http();
  REQUIRE(http.post("/api/fixture-cpp/poison", R"({"on":true})").status == 204);
  REQUIRE(post_item(http, "poisoned").status == 201);

  Poco::JSON::Array::Ptr open;
  REQUIRE(wait_for([&] {
    open = dead_letters(host);
    return open->size() == 1;
  }));
  auto letter = open->getObject(0);
  CHECK(text_of(letter, "consumer") == "fixture_cpp__on_item_created");
  CHECK(text_of(letter, "eventType") == "item.created");
  CHECK(letter->getValue<int>("attempts") == 3);
  CHECK(contains(text_of(letter, "error"), "poisoned"));
  CHECK(received(host).count("poisoned") == 0);

  // Fixed: replay delivers it once more, and only to the consumer that failed.
  REQUIRE(http.post("/api/fixture-cpp/poison", R"({"on":false})").status == 204);
  const std::string path = "/api/events/dlq/" + text_of(letter, "id") + "/replay";
  const Headers admin{{"Authorization", bearer(HostUnderTest::admin_token())}};
  auto replay = http.post(path, "", admin);
  INFO(replay.body);
  REQUIRE(replay.status == 202);
  CHECK(wait_for([&] { return received(host)["poisoned"] == 1; }));
  CHECK(dead_letters(host)->size() == 0);
  CHECK(dead_letters(host, "replayed")->size() == 1);
  require_problem(http.post(path, "", admin), 409);
  require_problem(http.post("/api/events/dlq/" + random_uuid() + "/replay", "", admin), 404);
  require_problem(http.post(path, "", {{"Authorization", bearer(mint_token("MANAGER", random_uuid()))}}), 403);
  require_problem(http.get("/api/events/dlq"), 401);
}

TEST_CASE("an event the consumer refuses as invalid goes to the dead letters at once", "[events][dlq]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"}, {{"CRM_EVENTS_MAX_DELIVER", "5"}});
  REQUIRE(post_item(host.http(), "invalid-event").status == 201);
  Poco::JSON::Array::Ptr open;
  REQUIRE(wait_for([&] {
    open = dead_letters(host);
    return open->size() == 1;
  }));
  CHECK(open->getObject(0)->getValue<int>("attempts") == 1);
}

TEST_CASE("a handler that hits a deadlock is run again at once and applied once, not dead-lettered",
          "[events][dlq][deadlock]") {
  // Redeliveries would wait a minute: the event is applied long before, by
  // the consumer running it again itself.
  HostUnderTest host({"fixture_c", "fixture_cpp"},
                     {{"CRM_EVENTS_MAX_DELIVER", "5"}, {"CRM_EVENTS_RETRY_DELAYS_MS", "60000"}});
  REQUIRE(post_item(host.http(), "deadlock-once").status == 201);
  // The first run wrote its row, then PostgreSQL answered 40P01: the row
  // went with the transaction, and the second run applied the event.
  CHECK(wait_for([&] { return received(host)["deadlock-once"] == 1; }));
  auto sql = host.sql();
  CHECK(sql.count("select last_value from fixture_cpp.deadlock_attempts") == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(500)); // a stray redelivery would show by now
  CHECK(received(host)["deadlock-once"] == 1);
  CHECK(dead_letters(host)->size() == 0);
}

TEST_CASE("while NATS is down writes succeed, and every event arrives once it is back", "[events][outage]") {
  PrivateServices services; // its NATS goes down, not the one other tests share
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  Http& http = host.http();
  REQUIRE(post_item(http, "before").status == 201);
  REQUIRE(wait_for([&] { return received(host)["before"] == 1; }));

  services.stop("nats");

  std::set<std::string> names;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "during-" + std::to_string(i);
    auto r = post_item(http, name);
    INFO(r.body);
    REQUIRE(r.status == 201);
    names.insert(name);
  }
  auto ready = http.get("/health/ready");
  CHECK(ready.status == 200);
  CHECK(contains(ready.body, R"("nats":"down")"));
  auto metrics = http.get("/metrics");
  CHECK(contains(metrics.body, R"(crm_outbox_pending{plugin="fixture_c"} 20)"));

  services.start("nats");
  CHECK(wait_for(
      [&] {
        auto got = received(host);
        for (const auto& n : names)
          if (got[n] != 1) return false;
        return true;
      },
      std::chrono::seconds(40)));
  auto got = received(host);
  for (const auto& n : names) CHECK(got[n] == 1);
  CHECK(got["before"] == 1);
}

TEST_CASE("two hosts relaying the same outboxes publish each event once between them", "[events][concurrency]") {
  HostUnderTest first({"fixture_c", "fixture_cpp"});
  auto second = first.another_host("crm-host-2");
  second->start();
  second->wait_until_live();
  Http a(first.port()), b(second->port());
  std::set<std::string> names;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "shared-" + std::to_string(i);
    REQUIRE(post_item(i % 2 ? a : b, name).status == 201);
    names.insert(name);
  }
  CHECK(wait_for([&] {
    auto got = received(first);
    for (const auto& n : names)
      if (got[n] != 1) return false;
    return true;
  }));
  // What each host says it published adds up to the number of events.
  auto published = [](Http& http) {
    auto body = http.get("/metrics").body;
    const std::string key = R"(crm_outbox_published_events{plugin="fixture_c"} )";
    auto at = body.find(key);
    return at == std::string::npos ? 0LL : std::stoll(body.substr(at + key.size()));
  };
  CHECK(published(a) + published(b) == 40);
}
