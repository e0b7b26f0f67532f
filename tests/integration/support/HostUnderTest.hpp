// HostUnderTest: the usual set-up of one integration test, in one object: a
// fresh database, a temporary plugin folder holding the chosen fixture plugins
// (or shipped ones, with Start::Later and add_shipped_plugin()),
// one crm-host started on a free port and live, and a client for it.
// Destruction stops the host (SIGTERM, then SIGKILL) and drops the database.
#pragma once

#include "support/Environment.hpp"
#include "support/HostProcess.hpp"
#include "support/Http.hpp"
#include "support/Jwt.hpp"
#include "support/Sql.hpp"
#include "support/TestDatabase.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace itest {

class HostUnderTest {
public:
  enum class Start { Now, Later };

  // `plugins`: fixtures copied into the plugin folder before the start
  // ("fixture_c"); `env`: extra CRM_* overrides; Start::Later: call start() yourself.
  explicit HostUnderTest(const std::vector<std::string>& plugins, std::map<std::string, std::string> env = {},
                         Start when = Start::Now)
      : dir_(make_temp_dir()), plugins_dir_(dir_ / "plugins"), db_(),
        host_(HostConfig{db_.dsn(), db_.password(), plugins_dir_, dir_, "crm-host", 0, std::move(env), {}}) {
    fs::create_directories(plugins_dir_);
    for (const auto& name : plugins) copy_fixture(name, plugins_dir_);
    if (when == Start::Now) start();
  }

  void start() {
    host_.start();
    host_.wait_until_live();
  }

  // Another host on the same database and plugin folder, not yet started.
  std::unique_ptr<HostProcess> another_host(const std::string& label, std::map<std::string, std::string> env = {}) {
    return std::make_unique<HostProcess>(
        HostConfig{db_.dsn(), db_.password(), plugins_dir_, dir_, label, 0, std::move(env), {}});
  }

  HostProcess& process() { return host_; }
  TestDatabase& db() { return db_; }
  int port() const { return host_.port(); }
  const fs::path& dir() const { return dir_; }
  const fs::path& plugins_dir() const { return plugins_dir_; }
  Sql sql() const { return db_.connect(); }

  // The shared keep-alive client of the test's thread.
  Http& http() {
    if (!http_) http_.emplace(host_.port());
    return *http_;
  }

  fs::path add_plugin(const std::string& fixture, const std::string& file_name = {}) {
    return copy_fixture(fixture, plugins_dir_, file_name);
  }

  // A plugin the build ships (build/plugins/<name>.so, e.g. "auth"), copied
  // into the plugin folder; before start() for it to load at start.
  fs::path add_shipped_plugin(const std::string& name) { return copy_shipped_plugin(name, plugins_dir_); }

  static std::string admin_token() { return mint_token("ADMIN", random_uuid()); }

  // GET /api/plugins as ADMIN; the "items" array.
  Poco::JSON::Array::Ptr plugins() {
    auto r = http().get("/api/plugins", {{"Authorization", bearer(admin_token())}});
    INFO("GET /api/plugins -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return r.json()->getArray("items");
  }

  // The /api/plugins entry for a .so file name, if listed.
  Poco::JSON::Object::Ptr plugin_entry(const std::string& file) {
    auto items = plugins();
    for (size_t i = 0; i < items->size(); ++i) {
      auto entry = items->getObject(static_cast<unsigned>(i));
      if (entry && entry->optValue<std::string>("file", "") == file) return entry;
    }
    return nullptr;
  }

  // Polls /api/plugins until `file` is listed with `status` (LOADED or REFUSED).
  Poco::JSON::Object::Ptr wait_for_plugin(const std::string& file, const std::string& status,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    Poco::JSON::Object::Ptr found;
    eventually(
        [&] {
          auto r = try_request_with_auth("/api/plugins");
          if (r && r->status == 401 && status == "LOADED" &&
              host_.log().find("from " + file + " (") != std::string::npos) {
            // The token's made-up user is unknown to a loaded auth plugin,
            // which now answers for every caller: the log says it loaded.
            found = new Poco::JSON::Object;
            found->set("file", file);
            found->set("status", status);
            return true;
          }
          if (!r || r->status != 200) return false;
          auto items = r->json()->getArray("items");
          for (size_t i = 0; i < items->size(); ++i) {
            auto entry = items->getObject(static_cast<unsigned>(i));
            if (entry && entry->optValue<std::string>("file", "") == file &&
                entry->optValue<std::string>("status", "") == status) {
              found = entry;
              return true;
            }
          }
          return false;
        },
        timeout, std::chrono::milliseconds(100));
    return found;
  }

private:
  std::optional<Response> try_request_with_auth(const std::string& path) {
    try {
      Http http(host_.port(), std::chrono::seconds(2));
      return http.get(path, {{"Authorization", bearer(admin_token())}});
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  fs::path dir_;
  fs::path plugins_dir_;
  TestDatabase db_;
  HostProcess host_;
  std::optional<Http> http_;
};

} // namespace itest
