// The REST reference (docs/rest-api.md) against the routes a real host serves
// with every shipped plugin loaded, as its GET /api/openapi.json lists them:
// every route there has a row in the reference and every row names a route
// there, with the same roles and success status. A route added, removed or
// changed without its row fails here.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <utility>

using namespace itest;

namespace {

using RouteKey = std::pair<std::string, std::string>; // method, path template

struct RouteFacts {
  std::string roles; // as the operation declares them: "public", "*", "ADMIN,MANAGER"
  std::string status; // of success
  std::string where; // a line of the reference, or an operation id
};

// Rows of the reference's route tables: "| GET | /api/x/{id} | `*` | 200 | ...".
std::map<RouteKey, RouteFacts> documented_routes(const fs::path& file, std::string& duplicates) {
  static const std::regex row(R"(^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*(/[^\s|]*)\s*\|\s*([^|]*?)\s*\|\s*(\d{3})\b)");
  std::ifstream in(file);
  REQUIRE(in);
  std::map<RouteKey, RouteFacts> routes;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    std::string roles = m[3];
    roles.erase(std::remove(roles.begin(), roles.end(), '`'), roles.end());
    const RouteKey key{m[1], m[2]};
    const std::string where = file.filename().string() + ":" + std::to_string(number);
    if (routes.count(key)) duplicates += key.first + " " + key.second + " (" + where + ")\n";
    routes[key] = RouteFacts{roles, m[4], where};
  }
  return routes;
}

// Every (method, path) of an OpenAPI document with its roles and success status.
std::map<RouteKey, RouteFacts> served_routes(const Poco::JSON::Object::Ptr& document) {
  std::map<RouteKey, RouteFacts> routes;
  auto paths = document->getObject("paths");
  REQUIRE(paths);
  for (const auto& [path, methods_value] : *paths) {
    auto methods = methods_value.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [method, op_value] : *methods) {
      auto op = op_value.extract<Poco::JSON::Object::Ptr>();
      std::string status;
      for (const auto& [code, response] : *op->getObject("responses"))
        if (code != "default") status = code;
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      routes[{upper, path}] = RouteFacts{op->optValue<std::string>("x-crm-roles", ""), status,
                                         op->optValue<std::string>("operationId", "")};
    }
  }
  return routes;
}

// Whether GET /api/plugins lists `file` as LOADED, asked as the admin.
bool loaded(AuthHost& auth, const std::string& file) {
  auto r = auth.get("/api/plugins", auth.admin().access_token);
  if (r.status != 200) return false;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; items && i < items->size(); ++i) {
    auto entry = items->getObject(static_cast<unsigned>(i));
    if (entry && entry->optValue<std::string>("file", "") == file)
      return entry->optValue<std::string>("status", "") == "LOADED";
  }
  return false;
}

const char* const kShippedPlugins[] = {"auth",      "customer", "sales",  "opportunity", "analytics",
                                       "inventory", "payments", "orders", "shipping",    "email",
                                       "forecast"};

AuthHostOptions with_every_shipped_plugin() {
  AuthHostOptions options;
  const fs::path dir = make_temp_dir("crm-rest-reference-");
  for (const char* name : kShippedPlugins) copy_shipped_plugin(name, dir);
  options.env["CRM_PLUGINS_DIR"] = dir.string();
  return options;
}

} // namespace

TEST_CASE("the REST reference lists exactly the routes of a host with every shipped plugin, with their roles and "
          "statuses",
          "[docs][openapi]") {
  AuthHost auth(with_every_shipped_plugin());
  for (const char* name : kShippedPlugins) {
    const std::string file = std::string(name) + ".so";
    INFO(file << " " << auth.host().process().log_tail(40));
    REQUIRE(eventually([&] { return loaded(auth, file); }, std::chrono::seconds(30)));
  }
  auto r = auth.http().get("/api/openapi.json");
  REQUIRE(r.status == 200);
  const auto served = served_routes(r.json());

  std::string duplicates;
  const auto documented = documented_routes(fs::path(CRM_SOURCE_DIR) / "docs" / "rest-api.md", duplicates);
  CHECK(duplicates.empty());
  INFO("routes served: " << served.size() << ", rows in docs/rest-api.md: " << documented.size());

  std::string undocumented, not_served, different;
  for (const auto& [key, facts] : served)
    if (!documented.count(key)) undocumented += key.first + " " + key.second + " (" + facts.where + ")\n";
  for (const auto& [key, facts] : documented) {
    auto it = served.find(key);
    if (it == served.end()) {
      not_served += key.first + " " + key.second + " (" + facts.where + ")\n";
      continue;
    }
    if (it->second.roles != facts.roles || it->second.status != facts.status)
      different += facts.where + ": " + key.first + " " + key.second + " says roles '" + facts.roles + "', status " +
                   facts.status + "; the host: '" + it->second.roles + "', " + it->second.status + "\n";
  }
  INFO("served, but no row in docs/rest-api.md:\n" << undocumented);
  CHECK(undocumented.empty());
  INFO("rows in docs/rest-api.md the host does not serve:\n" << not_served);
  CHECK(not_served.empty());
  INFO("rows whose roles or status differ:\n" << different);
  CHECK(different.empty());
}
