// The invoker: one transaction per operation holding the handler's writes and
// the events it emitted (transactional outbox); failures leave nothing behind;
// the input the handler sees is the merge of query, body and path.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("a successful call commits its row and exactly one event", "[invoker][outbox]") {
  HostUnderTest host({"fixture_c"});
  // Quotes, backslashes, a newline and non-ASCII: the event data must stay valid JSON.
  const std::string name = "O'Brien \"the\" \\ tester\nüñí";
  auto item = create_item(host.http(), name);
  const std::string id = text_of(item, "id");
  CHECK(text_of(item, "name") == name);

  auto sql = host.sql();
  CHECK(sql.count("select count(*) from fixture_c.items") == 1);
  auto events = sql.query("select id::text, type, source, subject, actor, data->>'name', created_at::text, "
                          "published_at::text from fixture_c.crm_outbox");
  REQUIRE(events.size() == 1);
  const auto& e = events[0];
  CHECK(e[0].has_value());
  CHECK(e[1] == std::optional<std::string>("item.created"));
  CHECK(e[2] == std::optional<std::string>("fixture_c"));
  CHECK(e[3] == std::optional<std::string>(id));
  CHECK(e[5] == std::optional<std::string>(name));
  CHECK(e[6].has_value());
}

TEST_CASE("an event is published once its call commits, not at the relay's next look at the outboxes",
          "[invoker][outbox]") {
  // The relay would look again only in ten minutes: what publishes the event
  // is the wake-up sent after the commit (PgNotifier).
  HostUnderTest host({"fixture_c"}, {{"CRM_EVENTS_RELAY_POLL_MS", "600000"}});
  auto sql = host.sql();
  for (int i = 0; i < 3; ++i) {
    const std::string id = text_of(create_item(host.http(), "woken " + std::to_string(i)), "id");
    INFO("item " << i);
    CHECK(eventually(
        [&] {
          return sql.count("select count(*) from fixture_c.crm_outbox where subject = $1 and published_at is not null",
                           {id}) == 1;
        },
        std::chrono::seconds(20)));
  }
}

TEST_CASE("a wake-up names the outbox that has new rows, and the relay looks at that one alone", "[invoker][outbox]") {
  // No poll for ten minutes: only wake-ups make the relay look.
  HostUnderTest host({"fixture_c", "fixture_cpp"}, {{"CRM_EVENTS_RELAY_POLL_MS", "600000"}});
  auto sql = host.sql();
  // A row in fixture_c's outbox that no wake-up announces.
  const std::string stray = random_uuid();
  sql.exec("insert into fixture_c.crm_outbox (id, type, source, actor, data) values ('" + stray +
           "', 'fixture.stray', 'fixture_c', 'system', '{}')");
  auto published = [&](const std::string& schema, const std::string& column, const std::string& value) {
    return sql.count("select count(*) from " + schema + ".crm_outbox where " + column +
                         " = $1 and published_at is not null",
                     {value}) == 1;
  };
  // Two events of fixture_cpp, each published by a round woken for it: a
  // relay that looked at every outbox would have published the stray row
  // in the first round, before the second event was even written.
  for (const char* name : {"first", "second"}) {
    auto r = host.http().post("/api/fixture-cpp/things", std::string(R"({"name":")") + name + "\"}");
    REQUIRE(r.status == 201);
    CHECK(eventually([&] { return published("fixture_cpp", "data->>'name'", name); }, std::chrono::seconds(20)));
  }
  CHECK_FALSE(published("fixture_c", "id::text", stray));
  // Named, it goes.
  sql.exec("select pg_notify('crm_outbox', 'fixture_c')");
  CHECK(eventually([&] { return published("fixture_c", "id::text", stray); }, std::chrono::seconds(20)));
}

TEST_CASE("a handler that fails mid-transaction leaves no rows and no events", "[invoker][outbox]") {
  HostUnderTest host({"fixture_cpp"});
  auto& http = host.http();
  auto sql = host.sql();

  auto ok = http.post("/api/fixture-cpp/things", R"({"name":"kept"})");
  INFO(ok.body);
  REQUIRE(ok.status == 201);
  REQUIRE(sql.count("select count(*) from fixture_cpp.things") == 1);
  REQUIRE(sql.count("select count(*) from fixture_cpp.crm_outbox") == 1);

  auto failed = http.post("/api/fixture-cpp/things", R"({"name":"fail-after-insert"})");
  auto problem = require_problem(failed, 409);
  CHECK(contains(text_of(problem, "detail"), "refused after insert"));

  CHECK(sql.count("select count(*) from fixture_cpp.things") == 1);
  CHECK(sql.count("select count(*) from fixture_cpp.things where name = 'fail-after-insert'") == 0);
  CHECK(sql.count("select count(*) from fixture_cpp.crm_outbox") == 1);
  CHECK(sql.count("select count(*) from fixture_cpp.crm_outbox where data->>'name' = 'fail-after-insert'") == 0);
}

TEST_CASE("a duplicate is a conflict that changes nothing", "[invoker]") {
  HostUnderTest host({"fixture_cpp"});
  auto& http = host.http();
  REQUIRE(http.post("/api/fixture-cpp/things", R"({"name":"unique"})").status == 201);
  require_problem(http.post("/api/fixture-cpp/things", R"({"name":"unique"})"), 409);

  auto sql = host.sql();
  CHECK(sql.count("select count(*) from fixture_cpp.things") == 1);
  CHECK(sql.count("select count(*) from fixture_cpp.crm_outbox") == 1);
  // The connection that carried the failed transaction is healthy again.
  CHECK(http.post("/api/fixture-cpp/things", R"({"name":"another"})").status == 201);
}

TEST_CASE("an unknown id is 404 and a malformed id is 422", "[invoker]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto& http = host.http();
  auto missing = require_problem(http.get("/api/fixture-c/items/" + random_uuid()), 404);
  CHECK(contains(text_of(missing, "detail"), "item not found"));
  require_problem(http.get("/api/fixture-c/items/not-a-uuid"), 422);
  require_problem(http.get("/api/fixture-cpp/things/" + random_uuid()), 404);
}

TEST_CASE("the input merges query parameters, body fields and path parameters, later wins", "[invoker][http]") {
  HostUnderTest host({"fixture_cpp"});
  auto r = host.http().post("/api/fixture-cpp/echo/from-path?id=from-query&x=from-query&q=1",
                            R"({"id":"from-body","x":"from-body","n":5})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto input = r.json()->getObject("input");
  REQUIRE(input);
  CHECK(text_of(input, "id") == "from-path");
  CHECK(text_of(input, "x") == "from-body");
  CHECK(text_of(input, "q") == "1"); // query parameters are strings
  REQUIRE(input->has("n"));
  CHECK(input->get("n").isInteger()); // body fields keep their JSON types
  CHECK(input->getValue<int>("n") == 5);

  // Query parameters reach a GET handler as strings.
  auto slept = host.http().get("/api/fixture-cpp/sleep?ms=10");
  INFO(slept.body);
  REQUIRE(slept.status == 200);
  CHECK(slept.json()->getValue<int>("slept") == 10);
}
