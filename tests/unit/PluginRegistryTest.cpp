// PluginRegistry: the host's own (platform) operations share the routing table
// with the plugins' - a plugin cannot take one of their routes or names - but
// are not among the operations events, workflows and plugins may call.
#include "plugins/PluginRegistry.hpp"

#include <catch2/catch.hpp>

using crm::plugins::Operation;
using crm::plugins::PluginInstance;
using crm::plugins::PluginRegistry;

namespace {

std::shared_ptr<PluginInstance> part(const std::string& name,
                                     std::vector<std::tuple<std::string, std::string, std::string>> ops) {
  auto p = std::make_shared<PluginInstance>();
  p->name = name;
  for (auto& [op_name, method, path] : ops) {
    auto op = std::make_unique<Operation>();
    op->name = op_name;
    op->http_method = method;
    op->http_path = path;
    op->plugin = p.get();
    p->operations.push_back(std::move(op));
  }
  return p;
}

} // namespace

TEST_CASE("a host route is matched like a plugin's, and no plugin may take its route or its name") {
  PluginRegistry registry;
  REQUIRE_FALSE(registry.admit_platform(
      part("platform", {{"platform.workflows_put", "PUT", "/api/workflows/{name}"}, {"platform.plugins_list", "GET", "/api/plugins"}})));

  auto snapshot = registry.snapshot();
  auto m = snapshot->routes.match("PUT", "/api/workflows/escalate");
  REQUIRE(m.kind == crm::core::RouteMatchKind::Found);
  CHECK((*m.target)->name == "platform.workflows_put");
  CHECK(m.param("name") == "escalate");
  CHECK(snapshot->routes.match("DELETE", "/api/plugins").kind == crm::core::RouteMatchKind::MethodNotAllowed);

  auto same_route = registry.check(*part("x", {{"x.take", "PUT", "/api/workflows/{id}"}}));
  REQUIRE(same_route);
  CHECK(same_route->find("PUT /api/workflows/{id}") != std::string::npos);
  auto same_name = registry.check(*part("platform", {{"platform.other", "GET", "/api/other"}}));
  REQUIRE(same_name);
  CHECK(same_name->find("host's own") != std::string::npos);
  auto same_operation = registry.check(*part("y", {{"platform.plugins_list", "GET", "/api/y"}}));
  REQUIRE(same_operation);
  CHECK(same_operation->find("platform.plugins_list") != std::string::npos);
  CHECK_FALSE(registry.check(*part("z", {{"z.list", "GET", "/api/z"}})));
}

TEST_CASE("the host's own operations cannot be called by name (from a workflow, an event or a plugin)") {
  PluginRegistry registry;
  REQUIRE_FALSE(registry.admit_platform(part("platform", {{"platform.rebuild_start", "POST", "/api/plugins/{name}/rebuild"}})));
  CHECK(registry.find_operation("platform.rebuild_start") == nullptr);
  CHECK(registry.snapshot()->plugins.empty());
}

TEST_CASE("the host's routes are refused when a plugin holds one already") {
  PluginRegistry registry;
  registry.admit(part("x", {{"x.list", "GET", "/api/plugins"}}));
  auto clash = registry.admit_platform(part("platform", {{"platform.plugins_list", "GET", "/api/plugins"}}));
  REQUIRE(clash);
  CHECK(clash->find("GET /api/plugins") != std::string::npos);
  CHECK(registry.snapshot()->platform == nullptr);
}
