// scripts/run, the one command that runs the platform: a host that cannot
// start makes it print the reason and exit non-zero without announcing a
// first admin; a host that starts gets its first admin announced once the
// account exists. Each case runs the script itself, with its own services in
// a folder of its own and the build this test belongs to (no build step).
#include "support/Checks.hpp"
#include "support/Environment.hpp"

#include <catch2/catch.hpp>

#include <Poco/Process.h>

#include <csignal>
#include <fstream>
#include <sstream>

using namespace itest;

namespace {

std::string file_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One run of scripts/run, at most 180 s (then `timeout` ends it: code 124),
// its standard output and error in files of its folder.
class RunScript {
public:
  explicit RunScript(const std::string& admin_password) {
    // Created by the script itself (0755): PostgreSQL's own user must be able
    // to reach the data folder under it.
    dir_ = fs::temp_directory_path() / ("crm-run-itest-" + random_hex(10));
    TestArtifacts::instance().remove_later(dir_);
    logs_ = make_temp_dir("crm-run-itest-logs-");
    const fs::path build = fs::path(CRM_HOST_BINARY).parent_path().parent_path();
    Poco::Process::Env env{{"RUN_DIR", dir_.string()},
                           {"RUN_BUILD_DIR", build.string()},
                           {"RUN_SKIP_BUILD", "1"},
                           {"CRM_HTTP_PORT", std::to_string(free_port())},
                           {"CRM_ADMIN_EMAIL", "admin@example.com"},
                           {"CRM_ADMIN_PASSWORD", admin_password},
                           {"ITEST_OUT", (logs_ / "out").string()},
                           {"ITEST_ERR", (logs_ / "err").string()}};
    const std::string script = "exec timeout --foreground 180 \"$0\" >\"$ITEST_OUT\" 2>\"$ITEST_ERR\" </dev/null";
    Poco::Process::Args args{"-c", script, std::string(CRM_SOURCE_DIR) + "/scripts/run"};
    handle_.emplace(Poco::Process::launch("/bin/sh", args, CRM_SOURCE_DIR, nullptr, nullptr, nullptr, env));
  }
  ~RunScript() {
    if (handle_ && Poco::Process::isRunning(*handle_)) {
      ::kill(handle_->id(), SIGTERM);
      handle_->wait();
    }
    // Whatever the script left running (it stops its services on exit).
    std::system(("\"" + std::string(CRM_SOURCE_DIR) + "/scripts/services\" destroy \"" + (dir_ / "services").string() +
                 "\" >/dev/null 2>&1")
                    .c_str());
  }

  int wait() { return handle_->wait(); }
  // SIGTERM to the script (through `timeout`), as Ctrl-C would end it.
  void stop() { ::kill(handle_->id(), SIGTERM); }
  std::string out() const { return file_text(logs_ / "out"); }
  std::string err() const { return file_text(logs_ / "err"); }

private:
  fs::path dir_, logs_;
  std::optional<Poco::ProcessHandle> handle_;
};

} // namespace

TEST_CASE("scripts/run with a first admin password the policy refuses prints the reason, announces no admin and "
          "exits non-zero",
          "[run-script]") {
  RunScript run("Admin-pass-123"); // contains the email's local part
  const int code = run.wait();
  const std::string out = run.out(), err = run.err();
  INFO("exit " << code << "\nstdout:\n"
               << out << "\nstderr (tail):\n"
               << err.substr(err.size() > 4000 ? err.size() - 4000 : 0));
  CHECK(code == 70);
  CHECK(contains(err, "run: crm-host could not start: plugin auth: start-up operation auth.bootstrap failed"));
  CHECK(contains(err, "password must not contain the email address"));
  CHECK_FALSE(contains(out + err, "First admin"));
  CHECK_FALSE(contains(out, "crm-host is up"));
  CHECK(contains(out, "stopping services"));
}

TEST_CASE("scripts/run announces the first admin once the account exists", "[run-script]") {
  RunScript run("Correct-horse-battery-7");
  const bool announced = eventually([&] { return contains(run.out(), "First admin: admin@example.com"); },
                                    std::chrono::seconds(120), std::chrono::milliseconds(200));
  INFO("stdout:\n"
       << run.out() << "\nstderr (tail):\n"
       << run.err().substr(run.err().size() > 4000 ? run.err().size() - 4000 : 0));
  CHECK(announced);
  CHECK_FALSE(contains(run.err(), "could not start"));
  run.stop();
  CHECK(run.wait() == 143);
}
