// MarketHost: a real host with the shipped market plugin (and the
// system_call workflow, to call the operations other plugins use), with the
// requests the market tests send: instruments, price batches, reads.
#pragma once

#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/SystemCalls.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <map>
#include <string>

namespace itest {

class MarketHost {
public:
  explicit MarketHost(std::map<std::string, std::string> env = {})
      : host({}, with_defaults(std::move(env)), HostUnderTest::Start::Later), calls(host) {
    host.add_shipped_plugin("market");
    host.start();
    auto entry = host.wait_for_plugin("market.so", "LOADED", std::chrono::seconds(20));
    INFO(host.process().log_tail(40));
    REQUIRE(entry);
  }

  static Headers as(const std::string& role) {
    return {{"Authorization", bearer(mint_token(role, random_uuid()))}, {"Content-Type", "application/json"}};
  }
  Response send(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& role = "ADMIN") {
    return host.http().request(method, path, body, as(role));
  }
  void add_instrument(const std::string& symbol, const std::string& name = "") {
    auto r = send("POST", "/api/market/instruments",
                  "{\"symbol\":\"" + symbol + "\",\"name\":\"" + (name.empty() ? symbol + " Corp" : name) +
                      "\",\"exchange\":\"XNAS\",\"currency\":\"USD\"}");
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  // POST /api/market/prices with these items (JSON objects, comma-joined).
  Response post_prices(const std::string& items, const std::string& role = "ADMIN") {
    return send("POST", "/api/market/prices", "{\"prices\":[" + items + "]}", role);
  }
  // Posts and requires 202 {accepted, duplicates}.
  std::pair<int, int> ingest(const std::string& items) {
    auto r = post_prices(items);
    INFO(r.body);
    REQUIRE(r.status == 202);
    return {r.json()->getValue<int>("accepted"), r.json()->getValue<int>("duplicates")};
  }
  long long prices() { return host.sql().count("select count(*) from market.prices"); }
  long long events(const std::string& type) {
    return host.sql().count("select count(*) from market.crm_outbox where type = $1", {type});
  }
  // The data of every event of `type`, parsed, in the order they were written.
  std::vector<Poco::JSON::Object::Ptr> event_data(const std::string& type) {
    std::vector<Poco::JSON::Object::Ptr> out;
    for (const auto& row :
         host.sql().query("select data::text from market.crm_outbox where type = $1 order by seq", {type})) {
      Poco::JSON::Parser parser;
      out.push_back(parser.parse(*row[0]).extract<Poco::JSON::Object::Ptr>());
    }
    return out;
  }

  HostUnderTest host;
  SystemCalls calls;

private:
  static std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) {
    env.emplace("CRM_WORKFLOWS_POLL_MS", "50");
    env.emplace("CRM_WORKFLOWS_HOST_ID", "itest-" + random_uuid().substr(0, 8));
    return env;
  }
};

// One price item as JSON.
inline std::string price_item(const std::string& symbol, const std::string& at, const std::string& price,
                              const std::string& volume = "") {
  return "{\"symbol\":\"" + symbol + "\",\"at\":\"" + at + "\",\"price\":" + price +
         (volume.empty() ? "" : ",\"volume\":" + volume) + "}";
}

// Now plus `offset`, as RFC 3339 in UTC (whole seconds).
inline std::string utc_from_now(std::chrono::seconds offset) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + offset);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

} // namespace itest
