// HostProcess: one crm-host child process, configured through CRM_* environment
// variables, its standard output and error (JSON log lines) in a log file.
//
// The child runs as `sh -c 'exec setpriv --pdeathsig KILL -- crm-host ...'`, so
// its pid is crm-host's own (signals reach it directly) and it dies with the test
// binary even when that is killed (ctest timeout). Because the death signal is
// tied to the *thread* that forked, launch hosts from the test's own thread.
#pragma once

#include "support/Environment.hpp"
#include "support/Http.hpp"
#include "support/Jwt.hpp"
#include "support/TestArtifacts.hpp"

#include <Poco/Process.h>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace itest {

struct HostConfig {
  std::string db_dsn;       // CRM_DB_DSN
  std::string db_password;  // CRM_DB_PASSWORD
  fs::path plugins_dir;     // CRM_PLUGINS_DIR
  fs::path work_dir;        // current directory of the process; its log goes here
  std::string label = "crm-host";
  int port = 0; // CRM_HTTP_PORT; 0 picks a free one
  // Further CRM_* overrides (e.g. CRM_HTTP_MAX_BODY_BYTES); they win over the defaults.
  std::map<std::string, std::string> env;
  // --config file; empty: the repository's config/crm-host.properties. Keys
  // that file lacks (plugin.<name>.*) cannot be set through CRM_* variables.
  fs::path config_file;
};

// "it_<hex>" from the DSN's dbname=crm_it_<hex>: a valid NATS namespace.
inline std::string events_namespace(const std::string& dsn) {
  auto at = dsn.find("dbname=");
  if (at == std::string::npos) return "it";
  at += 7;
  if (at < dsn.size() && dsn[at] == '\'') ++at;
  auto end = dsn.find_first_of(" '", at);
  std::string db = dsn.substr(at, end == std::string::npos ? std::string::npos : end - at);
  if (db.empty()) return "it";
  if (db.rfind("crm_", 0) == 0) db = db.substr(4);
  for (char& c : db)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return db;
}

class HostProcess {
public:
  explicit HostProcess(HostConfig config) : config_(std::move(config)) {
    if (config_.port == 0) config_.port = free_port();
    log_file_ = config_.work_dir / (config_.label + ".log");
  }
  ~HostProcess() {
    if (pid_ <= 0) return;
    const bool died_unexpectedly = !exit_expected_ && !running();
    if (died_unexpectedly) {
      FAIL_CHECK(config_.label << " exited on its own during the test (exit code " << exit_code_.value_or(-1)
                               << "); see its log tail");
    }
    stop();
  }
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  // A CRM_* setting for the next start().
  void set_env(const std::string& name, const std::string& value) { config_.env[name] = value; }

  // The CRM_* environment start() gives the host.
  std::map<std::string, std::string> environment() const {
    std::map<std::string, std::string> env{
        {"CRM_HTTP_HOST", "127.0.0.1"},
        {"CRM_HTTP_PORT", std::to_string(config_.port)},
        {"CRM_DB_DSN", config_.db_dsn},
        {"CRM_DB_PASSWORD", config_.db_password},
        {"CRM_PLUGINS_DIR", config_.plugins_dir.string()},
        {"CRM_PLUGINS_WATCH_INTERVAL_MS", "200"},
        {"CRM_LOG_LEVEL", "debug"},
        {"CRM_JWT_KEYS", std::string(kJwtKid) + ":" + kJwtSecret},
        {"CRM_JWT_ISSUER", kJwtIssuer},
        {"CRM_JWT_AUDIENCE", kJwtAudience},
        {"ITEST_HOST_LOG", log_file_.string()},
        // One NATS serves every test: each test's platform (its database) gets
        // its own streams and subjects.
        {"CRM_EVENTS_NAMESPACE", events_namespace(config_.db_dsn)},
    };
    for (const auto& [k, v] : config_.env) env[k] = v;
    return env;
  }

  void start() {
    const auto env = environment();
    const bool have_setpriv = fs::exists("/usr/bin/setpriv");
    std::string script = std::string("exec ") + (have_setpriv ? "/usr/bin/setpriv --pdeathsig KILL -- " : "") +
                         "\"$0\" \"$@\" >>\"$ITEST_HOST_LOG\" 2>&1 </dev/null";
    const std::string config_file = config_.config_file.empty()
                                        ? std::string(CRM_SOURCE_DIR) + "/config/crm-host.properties"
                                        : config_.config_file.string();
    Poco::Process::Args args{"-c", script, CRM_HOST_BINARY, "--config=" + config_file};
    if (!log_registered_) TestArtifacts::instance().add_log(config_.label + " log", log_file_);
    log_registered_ = true;
    auto handle = Poco::Process::launch("/bin/sh", args, config_.work_dir.string(), nullptr, nullptr, nullptr, env);
    pid_ = handle.id();
    exit_expected_ = false;
    exit_code_.reset();
  }

  // Waits for GET /health/live = 200; fails the test (the listener prints the
  // log) if the process exits first or the time runs out.
  void wait_until_live(std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) {
        exit_expected_ = true; // reported here, not again at destruction
        FAIL(config_.label << " exited with code " << exit_code_.value_or(-1) << " before it was live");
      }
      auto r = try_request(config_.port, "GET", "/health/live", std::chrono::seconds(1));
      if (r && r->status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL(config_.label << " did not answer GET /health/live with 200 within " << timeout.count() << " ms");
  }

  bool running() {
    if (pid_ <= 0 || exit_code_) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    if (r == pid_) exit_code_ = decode(status);
    else exit_code_ = -1; // not our child any more (should not happen)
    return false;
  }

  // The test expects the process to end on its own (a start that must fail):
  // its exit is not reported as a failure.
  void expect_exit() { exit_expected_ = true; }

  // SIGTERM: the graceful stop.
  void terminate() {
    exit_expected_ = true;
    if (running()) ::kill(pid_, SIGTERM);
  }
  // SIGKILL: a crash.
  void kill() {
    exit_expected_ = true;
    if (running()) ::kill(pid_, SIGKILL);
  }

  // The exit code once the process has ended (128 + signal when killed by a
  // signal), or nullopt if it still runs after `timeout`.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
    eventually([&] { return !running(); }, timeout, std::chrono::milliseconds(20));
    return exit_code_;
  }

  // SIGTERM, up to 10 s for a clean exit, then SIGKILL.
  void stop() {
    if (pid_ <= 0) return;
    terminate();
    if (!wait_for_exit(std::chrono::seconds(10))) {
      ::kill(pid_, SIGKILL);
      wait_for_exit(std::chrono::seconds(5));
    }
  }

  // Takes effect at the next start().
  void use_config_file(fs::path file) { config_.config_file = std::move(file); }

  int port() const { return config_.port; }
  int pid() const { return pid_; }
  std::optional<int> exit_code() const { return exit_code_; }
  const fs::path& log_file() const { return log_file_; }
  std::string log_tail(size_t lines = 80) const { return tail_of_file(log_file_, lines); }
  std::string log() const { return tail_of_file(log_file_, 1u << 20); }
  const HostConfig& config() const { return config_; }

private:
  static int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }

  HostConfig config_;
  fs::path log_file_;
  pid_t pid_ = -1;
  bool exit_expected_ = false;
  bool log_registered_ = false;
  std::optional<int> exit_code_;
};

} // namespace itest
