// Tests of metrics/PluginHealth: what the "health" service keeps for
// /health/ready and /metrics, and what it refuses.
#include "metrics/PluginHealth.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using crm::metrics::PluginHealth;

TEST_CASE("a component's last report wins and bad names are refused", "[plugin-health]") {
  PluginHealth h;
  CHECK(h.report("payments.provider", false, "timed out"));
  CHECK(h.report("payments.provider", true, ""));
  CHECK_FALSE(h.report("no_dot", true, ""));
  CHECK_FALSE(h.report("bad name.x", true, ""));
  auto components = h.components();
  REQUIRE(components.size() == 1);
  CHECK(components[0].name == "payments.provider");
  CHECK(components[0].up);
}

TEST_CASE("gauges and counters render with HELP and TYPE once per name", "[plugin-health]") {
  PluginHealth h;
  CHECK(h.gauge("crm_x_state", "State.", "provider=\"a\"", 1));
  CHECK(h.gauge("crm_x_state", "another help", "provider=\"b\"", 2));
  CHECK(h.gauge("crm_x_state", "", "provider=\"a\"", 3));
  CHECK(h.count("crm_x_total", "Total.", "", 1));
  CHECK(h.count("crm_x_total", "Total.", "", 2.5));
  CHECK(h.render() == "# HELP crm_x_state State.\n# TYPE crm_x_state gauge\n"
                      "crm_x_state{provider=\"a\"} 3\ncrm_x_state{provider=\"b\"} 2\n"
                      "# HELP crm_x_total Total.\n# TYPE crm_x_total counter\ncrm_x_total 3.5\n");
}

TEST_CASE("bad metric names, label sets, kinds and deltas are refused", "[plugin-health]") {
  PluginHealth h;
  CHECK_FALSE(h.gauge("1bad", "", "", 1));
  CHECK_FALSE(h.gauge("crm_ok", "", "a=b", 1));
  CHECK_FALSE(h.gauge("crm_ok", "", "a=\"b\"}", 1));
  CHECK_FALSE(h.gauge("crm_ok", "", "a=\"b\",", 1));
  CHECK_FALSE(h.gauge("crm_ok", "", "a=\"b\nc\"", 1));
  CHECK(h.gauge("crm_ok", "", "a=\"b\\\"c\",d=\"\"", 1));
  CHECK_FALSE(h.count("crm_ok", "", "", 1)); // a gauge already
  CHECK_FALSE(h.count("crm_c", "", "", -1)); // counters only grow
  CHECK(h.render().find("crm_c") == std::string::npos);
}

TEST_CASE("reports and counts from many threads are all kept", "[plugin-health]") {
  PluginHealth h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 1000; ++i) {
        h.count("crm_x_total", "Total.", "", 1);
        h.report("x.part" + std::to_string(t), i % 2 == 0, "");
      }
    });
  for (auto& t : threads) t.join();
  CHECK(h.render().find("crm_x_total 8000\n") != std::string::npos);
  CHECK(h.components().size() == 8);
}
