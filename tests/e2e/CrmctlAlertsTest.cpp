// crmctl alerts against a host with every shipped plugin: rules created,
// listed in the three output forms and deleted; a bad kind is a usage error
// before any request, and a rule the server refuses shows its field.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

TEST_CASE("alerts create, list in three forms and delete", "[crmctl][alerts]") {
  CrmctlHost h;
  h.login_admin();
  auto instrument = h.as(h.auth().admin().access_token, "POST", "/api/market/instruments",
                         R"({"symbol":"ACME","name":"Acme Corp","exchange":"XNAS","currency":"USD"})");
  INFO(instrument.body);
  REQUIRE(instrument.status == 201);

  auto created = h.ok({"alerts", "create", "--symbol", "ACME", "--kind", "ABOVE", "--threshold", "101.5"});
  CHECK(contains(created.out, "ACME ABOVE 101.5 (armed)"));
  auto move = json_object(h.ok({"alerts", "create", "--symbol", "ACME", "--kind", "MOVE_PCT", "--threshold", "5",
                                "--window", "60", "-o", "json"})
                              .out);
  const std::string move_id = move->getValue<std::string>("id");
  CHECK(move->getValue<int>("windowMinutes") == 60);

  auto table = lines_of(h.ok({"alerts", "list"}).out);
  REQUIRE(table.size() == 3);
  CHECK(starts_with(table[0], "ID"));
  CHECK(contains(table[1], "ACME"));
  CHECK(contains(table[1], "101.5"));
  CHECK(contains(table[2], "MOVE_PCT"));
  auto csv = lines_of(h.ok({"alerts", "list", "-o", "csv"}).out);
  REQUIRE(csv.size() == 3);
  CHECK(csv[0] == "id,symbol,kind,threshold,windowMinutes,armed,firedCount,lastFiredAt,createdAt");
  CHECK(starts_with(csv[2], move_id + ",ACME,MOVE_PCT,5,60,true,0,,"));
  auto json = json_array(h.ok({"alerts", "list", "-o", "json"}).out);
  CHECK(json->size() == 2);

  CHECK(contains(h.ok({"alerts", "delete", move_id}).out, "Deleted alert rule " + move_id));
  CHECK(lines_of(h.ok({"alerts", "list", "-o", "csv"}).out).size() == 2);
  auto gone = h.run({"alerts", "delete", move_id});
  CHECK(gone.exit_code == 2);
  CHECK(contains(gone.err, "(404)"));

  auto sideways = h.run({"alerts", "create", "--symbol", "ACME", "--kind", "SIDEWAYS", "--threshold", "1"});
  CHECK(sideways.exit_code == 1);
  auto not_a_number = h.run({"alerts", "create", "--symbol", "ACME", "--kind", "ABOVE", "--threshold", "lots"});
  CHECK(not_a_number.exit_code == 1);
  CHECK(contains(not_a_number.err, "--threshold must be a number"));
  auto no_window = h.run({"alerts", "create", "--symbol", "ACME", "--kind", "MOVE_PCT", "--threshold", "5"});
  CHECK(no_window.exit_code == 2);
  CHECK(contains(no_window.err, "\n  windowMinutes: "));
  auto unknown = h.run({"alerts", "create", "--symbol", "NOPE", "--kind", "BELOW", "--threshold", "5"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.err, "\n  symbol: "));
}
