// crmctl market against a host with the shipped market plugin: instruments
// in the three output forms, a CSV imported in batches with a summary (and
// again, as duplicates), a CSV with an unreadable line in the middle that
// stops after importing the lines before it, a batch the server refuses
// mapped back to its CSV line, and bars.
#include "support/CrmctlHost.hpp"

#include <catch2/catch.hpp>

using namespace e2e;

namespace {

void add_instrument(CrmctlHost& h, const std::string& symbol, const std::string& name) {
  auto r = h.as(h.auth().admin().access_token, "POST", "/api/market/instruments",
                R"({"symbol":")" + symbol + R"(","name":")" + name + R"(","exchange":"XNAS","currency":"USD"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
}

// `n` minutes of prices of `symbol` from 2026-01-05T10:00Z: 100, 101, ...
std::string csv_lines(const std::string& symbol, int first, int n) {
  std::string out;
  for (int m = first; m < first + n; ++m) {
    char line[96];
    std::snprintf(line, sizeof line, "%s,2026-01-05T10:%02d:00Z,%d,%d\n", symbol.c_str(), m, 100 + m, m + 1);
    out += line;
  }
  return out;
}

// How many minutes of 2026-01-05 hold a price of `symbol` (one point a minute here).
size_t minute_bars(CrmctlHost& h, const std::string& symbol) {
  auto r =
      h.as(h.auth().admin().access_token, "GET",
           "/api/market/instruments/" + symbol + "/bars?from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z&interval=1m");
  REQUIRE(r.status == 200);
  return r.json()->getArray("items")->size();
}

} // namespace

TEST_CASE("market instruments in a table, CSV and JSON", "[crmctl][market]") {
  CrmctlHost h;
  h.login_admin();
  add_instrument(h, "ACME", "Acme Rockets");
  add_instrument(h, "BETA", "Beta Holdings");
  auto table = lines_of(h.ok({"market", "instruments"}).out);
  REQUIRE(table.size() == 3);
  CHECK(starts_with(table[0], "SYMBOL"));
  CHECK(starts_with(table[1], "ACME"));
  auto csv = lines_of(h.ok({"market", "instruments", "-o", "csv"}).out);
  CHECK(csv == std::vector<std::string>{"symbol,name,exchange,currency", "ACME,Acme Rockets,XNAS,USD",
                                        "BETA,Beta Holdings,XNAS,USD"});
  auto json = json_array(h.ok({"market", "instruments", "-q", "beta", "-o", "json"}).out);
  REQUIRE(json->size() == 1);
  CHECK(json->getObject(0)->getValue<std::string>("symbol") == "BETA");
}

TEST_CASE("market import streams a CSV in batches, sums it up, and a second run counts duplicates",
          "[crmctl][market]") {
  CrmctlHost h;
  h.login_admin();
  add_instrument(h, "ACME", "Acme Rockets");
  const fs::path file = make_temp_dir("crmctl-market-") / "prices.csv";
  write_file(file, "symbol,at,price,volume\n" + csv_lines("ACME", 0, 12));
  auto first = h.ok({"market", "import", file.string(), "--batch", "5"});
  CHECK(contains(first.out, "Imported 12 points (0 duplicates) in "));
  CHECK(contains(first.out, " points/s"));
  CHECK(first.err.find('\r') == std::string::npos); // no progress bar off a terminal
  CHECK(minute_bars(h, "ACME") == 12);
  auto again = h.ok({"market", "import", file.string()});
  CHECK(contains(again.out, "Imported 0 points (12 duplicates)"));

  // Columns in another order, no volume.
  write_file(file, "at,price,symbol\n2026-01-05T11:00:00Z,150,ACME\n");
  CHECK(contains(h.ok({"market", "import", file.string()}).out, "Imported 1 points"));
  CHECK(minute_bars(h, "ACME") == 13);
}

TEST_CASE("market import stops at a bad line in the middle and reports what was imported before it",
          "[crmctl][market]") {
  CrmctlHost h;
  h.login_admin();
  add_instrument(h, "ACME", "Acme Rockets");
  const fs::path file = make_temp_dir("crmctl-market-") / "prices.csv";
  // Lines 2-7 good, line 8 lacks a cell, lines 9-12 good.
  write_file(file, "symbol,at,price,volume\n" + csv_lines("ACME", 0, 6) + "ACME,2026-01-05T10:06:00Z,106\n" +
                       csv_lines("ACME", 7, 4));
  auto r = h.run({"market", "import", file.string(), "--batch", "4"});
  INFO(describe({"market", "import", file.string()}, r));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "line 8: 3 cells where the header has 4"));
  CHECK(contains(r.err, "imported before it: 6 points (0 duplicates)"));
  CHECK(minute_bars(h, "ACME") == 6);

  // The server refuses line 9 (a negative price) and line 10 (an unknown
  // symbol): its batch (lines 7-11) is not imported, the first one is.
  h.as(h.auth().admin().access_token, "POST", "/api/market/instruments",
       R"({"symbol":"BETA","name":"Beta","exchange":"XNAS","currency":"USD"})");
  write_file(file, "symbol,at,price,volume\n" + csv_lines("BETA", 0, 5) + csv_lines("BETA", 5, 2) +
                       "BETA,2026-01-05T10:07:00Z,-1,1\nNOPE,2026-01-05T10:08:00Z,1,1\n" + csv_lines("BETA", 9, 1));
  r = h.run({"market", "import", file.string(), "--batch", "5"});
  INFO(describe({"market", "import", file.string()}, r));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "the server refused lines 7 to 11"));
  CHECK(contains(r.err, "line 9: price: must be a finite number greater than 0"));
  CHECK(contains(r.err, "line 10: symbol: is not a known instrument"));
  CHECK(contains(r.err, "imported before it: 5 points"));
  CHECK(minute_bars(h, "BETA") == 5);

  auto missing = h.run({"market", "import", "/nonexistent/prices.csv"});
  CHECK(missing.exit_code == 1);
}

TEST_CASE("market bars prints open, high, low, close and volume per interval", "[crmctl][market]") {
  CrmctlHost h;
  h.login_admin();
  add_instrument(h, "ACME", "Acme Rockets");
  const fs::path file = make_temp_dir("crmctl-market-") / "prices.csv";
  write_file(file, "symbol,at,price,volume\n" + csv_lines("ACME", 0, 10));
  h.ok({"market", "import", file.string()});
  auto csv = lines_of(h.ok({"market", "bars", "ACME", "--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T10:10:00Z",
                            "--interval", "5m", "-o", "csv"})
                          .out);
  CHECK(csv == std::vector<std::string>{"at,open,high,low,close,volume", "2026-01-05T10:00:00Z,100,104,100,104,15",
                                        "2026-01-05T10:05:00Z,105,109,105,109,40"});
  auto bad = h.run({"market", "bars", "ACME", "--from", "2026-01-05T10:00:00Z", "--to", "2026-01-05T09:00:00Z"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "to: must be after from"));
}
