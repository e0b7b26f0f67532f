// Output: one list or record in the three forms -o offers.
#include "Json.hpp"
#include "Output.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace crmctl;

namespace {

const char* kUsers =
    R"([{"id":"u1","email":"ann@example.com","role":"SALES","active":true,"lastLoginAt":"2024-05-01T10:00:00.123Z"},
                         {"id":"u2","email":"bob@example.com","role":"ADMIN","active":false,"lastLoginAt":null}])";

std::vector<Column> columns() {
  return {text_column("ID", "id"), text_column("EMAIL", "email"), status_column("ACTIVE", "active"),
          time_column("LAST LOGIN", "lastLoginAt")};
}

struct Run {
  std::ostringstream out, err;
  Printer printer;
  Run(Format f, bool headers = true) : printer(f, headers, out, err, false, false) {}
};

} // namespace

TEST_CASE("a list prints as a table with short times", "[crmctl][output]") {
  Run r(Format::Table);
  r.printer.list(json::parse(kUsers), columns());
  CHECK(r.out.str() == "ID  EMAIL            ACTIVE  LAST LOGIN\n"
                       "u1  ann@example.com  true    2024-05-01 10:00:00\n"
                       "u2  bob@example.com  false   -\n");
  CHECK(r.err.str().empty());
}

TEST_CASE("a list prints as CSV with field names as headers and full values", "[crmctl][output]") {
  Run r(Format::Csv);
  r.printer.list(json::parse(kUsers), columns());
  CHECK(r.out.str() == "id,email,active,lastLoginAt\n"
                       "u1,ann@example.com,true,2024-05-01T10:00:00.123Z\n"
                       "u2,bob@example.com,false,\n");
  Run bare(Format::Csv, false);
  bare.printer.list(json::parse(kUsers), columns());
  CHECK(bare.out.str().rfind("u1,", 0) == 0);
}

TEST_CASE("a list prints as the API's objects in JSON, in the server's key order", "[crmctl][output]") {
  Run r(Format::Json);
  r.printer.list(json::parse(R"([{"id":"u1","email":"a@x.io","active":true}])"), columns());
  auto back = json::parse(r.out.str());
  REQUIRE(back.size() == 1);
  CHECK(json::text(back.at(0), "email") == "a@x.io");
  CHECK(r.out.str().find("\"id\"") < r.out.str().find("\"email\""));
}

TEST_CASE("an empty list says so on stderr and prints nothing as a table", "[crmctl][output]") {
  Run r(Format::Table);
  r.printer.list(json::Value::array(), columns(), "no users");
  CHECK(r.out.str().empty());
  CHECK(r.err.str() == "no users\n");
  Run j(Format::Json);
  j.printer.list(json::Value::array(), columns(), "no users");
  CHECK(j.out.str() == "[]\n");
}

TEST_CASE("a record prints as labelled lines", "[crmctl][output]") {
  Run r(Format::Table);
  auto user = json::parse(kUsers).at(0);
  r.printer.record(user, columns());
  CHECK(r.out.str() == "Id:          u1\n"
                       "Email:       ann@example.com\n"
                       "Active:      true\n"
                       "Last login:  2024-05-01 10:00:00\n");
}

TEST_CASE("JSON output keeps the server's key order and writes empty containers compactly", "[crmctl][output]") {
  auto o = json::parse(R"({"zeta":1,"alpha":{"b":[],"a":{}},"mid":"x\"y","t":true,"n":null,"d":2.5})");
  CHECK(json::write(o, 0) == R"({"zeta":1,"alpha":{"b":[],"a":{}},"mid":"x\"y","t":true,"n":null,"d":2.5})");
  CHECK(json::write(o, 2) == "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"b\": [],\n    \"a\": {}\n  },\n"
                             "  \"mid\": \"x\\\"y\",\n  \"t\": true,\n  \"n\": null,\n  \"d\": 2.5\n}");
}

TEST_CASE("numbers keep their JSON form in cells", "[crmctl][output]") {
  auto o = json::try_parse_object(R"({"a":1250.50,"b":3,"c":[1,2],"d":{"x":1},"e":null,"f":false})");
  REQUIRE(o);
  CHECK(json::text(*o, "a") == "1250.50");
  CHECK(json::text(*o, "b") == "3");
  CHECK(json::text(*o, "c") == "[1,2]");
  CHECK(json::text(*o, "d") == "{\"x\":1}");
  CHECK(json::text(*o, "d.x") == "1");
  CHECK(json::text(*o, "e").empty());
  CHECK(json::text(*o, "f") == "false");
  CHECK(json::text(*o, "missing").empty());
  CHECK(json::text(*o, "d.missing.deeper").empty());
}
