// Crmctl: the crmctl binary run as a process, as an admin or a script runs
// it: arguments, optional standard input, its own environment (a private
// config folder, the server), stdout and stderr captured to files, the exit
// status. The child starts a new session (setsid), so it has no controlling
// terminal: nothing can prompt, and it behaves as under a pipe (no colour).
#pragma once

#include "support/Environment.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace e2e {

using namespace itest;

struct CrmctlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct CrmctlOptions {
  std::optional<std::string> stdin_text; // nullopt: /dev/null
  // Set (or, with an empty value, removed) on top of the test's environment.
  std::map<std::string, std::string> env;
};

inline std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One crmctl process. The destructor kills it if it still runs.
class CrmctlProcess {
public:
  CrmctlProcess(const std::vector<std::string>& args, const CrmctlOptions& options) {
    const fs::path dir = make_temp_dir("crmctl-run-");
    out_file_ = dir / "stdout";
    err_file_ = dir / "stderr";
    const fs::path in_file = dir / "stdin";
    if (options.stdin_text) std::ofstream(in_file, std::ios::binary) << *options.stdin_text;

    // Everything the child needs is built before fork().
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    // Nothing of the developer's own crmctl set-up leaks into a test.
    for (const char* name : {"CRMCTL_SERVER", "CRMCTL_TOKEN", "NO_COLOR", "XDG_CONFIG_HOME"}) env.erase(name);
    env["HOME"] = dir.string();
    for (const auto& [k, v] : options.env) {
      if (v.empty())
        env.erase(k);
      else
        env[k] = v;
    }
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{CRMCTL_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    const std::string in_path = options.stdin_text ? in_file.string() : "/dev/null";

    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setsid();
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int in = ::open(in_path.c_str(), O_RDONLY);
      const int out = ::open(out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = ::open(err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~CrmctlProcess() {
    if (pid_ > 0 && !result_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  CrmctlProcess(const CrmctlProcess&) = delete;
  CrmctlProcess& operator=(const CrmctlProcess&) = delete;

  void signal(int sig) { ::kill(pid_, sig); }

  // The result once it has ended; fails the test after `timeout`.
  CrmctlResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    if (result_) return *result_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        result_ = collect(-1);
        FAIL("crmctl did not end within " << timeout.count() << " ms; stdout: " << result_->out
                                          << " stderr: " << result_->err);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    result_ = collect(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return *result_;
  }

  // The output written so far.
  std::string out_so_far() const { return read_text(out_file_); }
  std::string err_so_far() const { return read_text(err_file_); }

private:
  CrmctlResult collect(int code) const { return CrmctlResult{code, read_text(out_file_), read_text(err_file_)}; }

  pid_t pid_ = -1;
  fs::path out_file_, err_file_;
  std::optional<CrmctlResult> result_;
};

inline CrmctlResult run_crmctl(const std::vector<std::string>& args, const CrmctlOptions& options = {}) {
  CrmctlProcess p(args, options);
  return p.wait();
}

// crmctl on a pseudo-terminal (as in an admin's shell): stdout and stderr
// both go to it, so the result's `out` holds both and `err` is empty.
// `env` is applied on top of the test's environment, like CrmctlOptions::env.
inline CrmctlResult run_on_terminal(const std::vector<std::string>& args,
                                    const std::map<std::string, std::string>& env) {
  std::vector<std::string> argv_strings{CRMCTL_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (const char* name : {"CRMCTL_SERVER", "CRMCTL_TOKEN", "NO_COLOR", "XDG_CONFIG_HOME"}) ::unsetenv(name);
    ::setenv("TERM", "xterm", 1);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  CrmctlResult r;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break; // EIO once the child has closed the terminal
    r.out.append(buffer, static_cast<size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// What a failed check should show about a run.
inline std::string describe(const std::vector<std::string>& args, const CrmctlResult& r) {
  std::string line = "crmctl";
  for (const auto& a : args) line += " " + a;
  return line + "\n-> exit " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err;
}

// The lines of a text, without their line breaks.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

} // namespace e2e
