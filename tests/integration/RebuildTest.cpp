// Rebuilding a plugin's read-models from the event stream
// (POST /api/plugins/{name}/rebuild): the reset operation empties them, every
// event still in the stream is fed again to the replayable subscriptions
// only, and the result equals what live delivery had built. fixture_cpp keeps
// `tally` (replayable, one row per item.created) beside `received` (not
// replayable: a rebuild must not run it again).
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace itest;
using namespace std::chrono_literals;

namespace {

const Headers& admin() {
  static const Headers h{{"Authorization", bearer(HostUnderTest::admin_token())}};
  return h;
}

Poco::JSON::Object::Ptr rebuild_status(Http& http, const std::string& plugin) {
  auto r = http.get("/api/plugins/" + plugin + "/rebuild", admin());
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json();
}

} // namespace

TEST_CASE("a rebuild refills a read-model from the stream without running other subscriptions", "[rebuild][events]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  Http& http = host.http();
  auto sql = host.sql();
  for (int i = 0; i < 40; ++i) REQUIRE(http.post("/api/fixture-c/items", R"({"name":"item-)" + std::to_string(i) + R"("})").status == 201);
  REQUIRE(eventually([&] { return sql.count("select count(*) from fixture_cpp.tally") == 40; }, 20s));
  REQUIRE(eventually([&] { return sql.count("select count(*) from fixture_cpp.received") == 40; }, 20s));

  // The read-model drifts: rows lost, a stray row.
  sql.exec("delete from fixture_cpp.tally where name in ('item-3', 'item-17', 'item-30')");
  sql.exec("insert into fixture_cpp.tally values (gen_random_uuid(), 'stray')");

  auto started = http.post("/api/plugins/fixture_cpp/rebuild", "", admin());
  INFO(started.body);
  REQUIRE(started.status == 202);
  CHECK(text_of(started.json(), "status") == "running");
  CHECK(started.json()->getValue<long>("upToSequence") >= 40);

  Poco::JSON::Object::Ptr status;
  REQUIRE(eventually([&] {
    status = rebuild_status(http, "fixture_cpp");
    return text_of(status, "status") != "running";
  }, 30s));
  INFO(json_of(*status));
  CHECK(text_of(status, "status") == "done");
  CHECK(status->getValue<long>("events") == 40);
  CHECK(status->getValue<long>("applied") == 40);
  CHECK(status->getValue<long>("failed") == 0);

  CHECK(sql.count("select count(*) from fixture_cpp.tally") == 40);
  CHECK(sql.count("select count(*) from fixture_cpp.tally where name = 'stray'") == 0);
  CHECK(sql.count("select count(distinct name) from fixture_cpp.tally where name like 'item-%'") == 40);
  CHECK(sql.count("select count(*) from fixture_cpp.received") == 40); // not replayed

  // Live delivery goes on after it, and a second rebuild changes nothing.
  REQUIRE(http.post("/api/fixture-c/items", R"({"name":"after"})").status == 201);
  REQUIRE(eventually([&] { return sql.count("select count(*) from fixture_cpp.tally") == 41; }, 20s));
  REQUIRE(http.post("/api/plugins/fixture_cpp/rebuild", "", admin()).status == 202);
  REQUIRE(eventually([&] { return text_of(rebuild_status(http, "fixture_cpp"), "status") == "done"; }, 30s));
  CHECK(sql.count("select count(*) from fixture_cpp.tally") == 41);
}

TEST_CASE("a rebuild under a stream of live writes ends matching the tally computed from scratch",
          "[rebuild][events][live]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  Http& http = host.http();
  auto sql = host.sql();
  for (int i = 0; i < 20; ++i)
    REQUIRE(http.post("/api/fixture-c/items", R"({"name":"before-)" + std::to_string(i) + R"("})").status == 201);
  REQUIRE(eventually([&] { return sql.count("select count(*) from fixture_cpp.tally") == 20; }, 20s));
  // The reset takes its time before it empties the tally, as a large
  // read-model's would: live events keep being applied meanwhile.
  REQUIRE(http.post("/api/fixture-cpp/reset-delay", R"({"ms":1500})").status == 204);

  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    Http own(host.port());
    for (int i = 0; i < 3000 && !stop; ++i) { // bounded: about 30 s at most
      if (own.post("/api/fixture-c/items", R"({"name":"live-)" + std::to_string(i) + R"("})").status == 201) ++written;
      std::this_thread::sleep_for(10ms);
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, writer};

  REQUIRE(eventually([&] { return written >= 10; }, 10s));
  auto started = http.post("/api/plugins/fixture_cpp/rebuild", "", admin());
  INFO(started.body);
  REQUIRE(started.status == 202);
  Poco::JSON::Object::Ptr status;
  REQUIRE(eventually([&] {
    status = rebuild_status(http, "fixture_cpp");
    return text_of(status, "status") != "running";
  }, 30s));
  INFO(json_of(*status));
  CHECK(text_of(status, "status") == "done");
  const int at_the_end = written;
  REQUIRE(eventually([&] { return written >= at_the_end + 10; }, 10s)); // writes go on after it, too
  stop = true;
  writer.join();

  // Live delivery has caught up once the tally's consumer has seen every item.
  const long long items = sql.count("select count(*) from fixture_c.items");
  REQUIRE(eventually([&] {
    return sql.count("select count(*) from fixture_cpp.crm_inbox where consumer = 'fixture_cpp__tally_item'") == items;
  }, 20s));
  // From scratch, the tally is one row per item: none missing, none extra.
  CHECK(sql.count("select count(*) from fixture_c.items i "
                  "where not exists (select 1 from fixture_cpp.tally t where t.name = i.name)") == 0);
  CHECK(sql.count("select count(*) from fixture_cpp.tally") == items);
}

TEST_CASE("a rebuild is refused for the unknown, the plugin without read-models and anyone but an ADMIN", "[rebuild][events]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  Http& http = host.http();
  require_problem(http.post("/api/plugins/nothing_here/rebuild", "", admin()), 404);
  auto none = require_problem(http.post("/api/plugins/fixture_c/rebuild", "", admin()), 422);
  CHECK(error_fields(none) == std::vector<std::string>{"name"});
  require_problem(http.get("/api/plugins/fixture_cpp/rebuild", admin()), 404); // none has run
  require_problem(http.post("/api/plugins/fixture_cpp/rebuild", ""), 401);
  require_problem(
      http.post("/api/plugins/fixture_cpp/rebuild", "", {{"Authorization", bearer(mint_token("MANAGER", random_uuid()))}}),
      403);
  require_problem(http.request("DELETE", "/api/plugins/fixture_cpp/rebuild", "", admin()), 405);
}
