// PrivateServices: PostgreSQL, NATS and Redis of one test's own, for tests
// that stop or restart a server: the services every other test shares stay
// up, so integration tests can run side by side.
#pragma once

#include "support/Environment.hpp"
#include "support/TestArtifacts.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace itest {

// PostgreSQL, NATS and Redis started for one test with `scripts/services start
// --fast` in a folder of its own, and the CRM_* variables of this process
// pointed at them while it lives: the test's database (TestDatabase) is
// created on this PostgreSQL, and hosts started meanwhile inherit the NATS and
// Redis addresses. Declare it before the host, so that it outlives it. The
// destructor puts the variables back and destroys the services and their data,
// also when the test fails. Only the Catch2 thread may use it (it changes the
// process environment).
class PrivateServices {
public:
  PrivateServices() : dir_(fs::temp_directory_path() / ("crm-private-svc-" + random_hex(8))) {
    log_ = make_temp_dir("crm-private-svc-log-") / "services.log";
    TestArtifacts::instance().add_log("scripts/services", log_);
    if (run("start --fast") != 0) {
      run("destroy");
      FAIL("scripts/services could not start private services in " << dir_ << "; see its log");
    }
    std::ifstream env(dir_ / "env");
    for (std::string line; std::getline(env, line);) {
      if (line.rfind("export ", 0) != 0) continue;
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string name = line.substr(7, eq - 7), value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
      const char* old = std::getenv(name.c_str());
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    if (env_or("CRM_SERVICES_DIR") != dir_.string()) {
      restore();
      run("destroy");
      FAIL("the env of the private services in " << dir_ << " could not be read");
    }
  }
  ~PrivateServices() {
    restore();
    run("destroy");
  }
  PrivateServices(const PrivateServices&) = delete;
  PrivateServices& operator=(const PrivateServices&) = delete;

  // `scripts/services restart-one <service>` (postgres, nats or redis): a
  // fast shutdown (open sessions are ended), then a start on the same port.
  void restart(const std::string& service) { REQUIRE(run("restart-one " + service) == 0); }
  void stop(const std::string& service) { REQUIRE(run("stop-one " + service) == 0); }
  void start(const std::string& service) { REQUIRE(run("start-one " + service) == 0); }

  const fs::path& dir() const { return dir_; }

private:
  int run(const std::string& verb) {
    const std::string command = std::string(CRM_SOURCE_DIR) + "/scripts/services " + verb + " '" + dir_.string() +
                                "' >>'" + log_.string() + "' 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void restore() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
    saved_.clear();
  }

  fs::path dir_;
  fs::path log_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

} // namespace itest
