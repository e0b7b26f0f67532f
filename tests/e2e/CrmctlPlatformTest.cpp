// crmctl on the platform itself: health needs no sign-in, plugins list shows
// the loaded plugins, the dead letters list and replay.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

TEST_CASE("health, plugins and dead letters are there for an admin", "[crmctl][platform]") {
  CrmctlHost h;

  SECTION("health needs no sign-in and prints every check, the plugins' components too") {
    auto table = h.ok({"health"});
    CHECK(table.out == "CHECK              STATUS\n"
                       "server             " +
                           h.server() +
                           "\n"
                           "status             ok\n"
                           "postgres           ok\n"
                           "nats               ok\n"
                           "redis              ok\n"
                           "payments.provider  ok\n");
    auto json = json_object(h.ok({"health", "-o", "json"}).out);
    CHECK(text_of(json, "status") == "ok");
    CHECK(text_of(json->getObject("checks"), "postgres") == "ok");
    CHECK(h.ok({"health", "-o", "csv"}).out ==
          "server,status,postgres,nats,redis,payments.provider\n" + h.server() + ",ok,ok,ok,ok,ok\n");
  }

  SECTION("plugins list shows what the host loaded") {
    h.login_admin();
    auto csv = lines_of(h.ok({"plugins", "list", "-o", "csv"}).out);
    REQUIRE(csv.size() >= 4);
    CHECK(csv[0] == "name,version,abi,status,operations,file,error");
    std::map<std::string, std::string> status;
    for (size_t i = 1; i < csv.size(); ++i) status[csv[i].substr(0, csv[i].find(','))] = csv[i];
    for (const char* name : {"auth", "customer", "sales"}) {
      INFO(name);
      REQUIRE(status.count(name) == 1);
      CHECK(contains(status[name], ",LOADED,"));
      CHECK(contains(status[name], std::string(",") + name + ".so,"));
    }
    auto json = json_array(h.ok({"plugins", "list", "-o", "json"}).out);
    CHECK(json->size() == csv.size() - 1);
    auto table = lines_of(h.ok({"plugins", "list"}).out);
    CHECK(starts_with(table[0], "NAME"));
    CHECK(contains(table[0], "VERSION  ABI  STATUS  OPERATIONS  FILE"));
  }

  SECTION("the dead letters list is empty on a fresh host and replay refuses an unknown id") {
    h.login_admin();
    auto empty = h.ok({"events", "dlq", "list"});
    CHECK(empty.out.empty());
    CHECK(empty.err == "no dead letters\n");
    CHECK(h.ok({"events", "dlq", "list", "-o", "json"}).out == "[]\n");
    CHECK(h.ok({"events", "dlq", "list", "--status", "all", "-o", "csv"}).out ==
          "id,eventType,consumer,attempts,failedAt,replayedAt,error\n");
    auto unknown = h.run({"events", "dlq", "replay", "00000000-0000-4000-8000-000000000000"});
    INFO(describe({"events", "dlq", "replay"}, unknown));
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err == "crmctl: Not Found (404): no dead letter 00000000-0000-4000-8000-000000000000\n");
  }
}
