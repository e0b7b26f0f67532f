// Environment: what every integration test needs from the machine: the
// services from scripts/services (through CRM_DB_DSN and friends), free ports,
// temporary folders, the built fixture and shipped plugins, and bounded waiting.
#pragma once

#include "support/TestArtifacts.hpp"

#include <catch2/catch.hpp>

#include <Poco/UUIDGenerator.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>

namespace itest {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

inline std::string env_or(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

// Fails the test (never a silent pass) when the services are not there.
inline void require_services() {
  if (env_or("CRM_DB_DSN").empty()) {
    FAIL("CRM_DB_DSN is not set: start scripts/services and export its env "
         "(scripts/services start DIR && eval \"$(scripts/services env DIR)\"), or run scripts/test");
  }
}

inline std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(digits[rng() % 16]);
  return s;
}

inline std::string random_uuid() { return Poco::UUIDGenerator::defaultGenerator().createRandom().toString(); }

// A TCP port nothing listens on now. Picked below Linux's ephemeral range (as
// scripts/services does) and never twice in one run.
inline int free_port() {
  static std::set<int> handed_out;
  static std::mt19937 rng{std::random_device{}()};
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = 20000 + static_cast<int>(rng() % 12768);
    if (handed_out.count(port)) continue;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (ok) {
      handed_out.insert(port);
      return port;
    }
  }
  FAIL("no free TCP port found on 127.0.0.1");
  return 0;
}

// A fresh folder under the system temp dir, removed when the test case ends.
inline fs::path make_temp_dir(const std::string& prefix = "crm-itest-") {
  fs::path dir = fs::temp_directory_path() / (prefix + random_hex(10));
  fs::create_directories(dir);
  TestArtifacts::instance().remove_later(dir);
  return dir;
}

// A built fixture plugin: build/fixtures/<name>.so.
inline fs::path fixture_path(const std::string& name) {
  fs::path p = fs::path(CRM_FIXTURE_DIR) / (name + ".so");
  if (!fs::exists(p)) FAIL("fixture plugin " << p << " is not built (build target crm_fixtures)");
  return p;
}

// 0755: the host refuses a plugin file its group or others may write, which
// a copy made under a umask of 002 would be.
inline void trust_plugin_file(const fs::path& file) {
  fs::permissions(file, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
}

// Copies a fixture into a plugin folder, as <file_name> (default <name>.so).
inline fs::path copy_fixture(const std::string& name, const fs::path& dir, const std::string& file_name = {}) {
  fs::path to = dir / (file_name.empty() ? name + ".so" : file_name);
  fs::copy_file(fixture_path(name), to, fs::copy_options::overwrite_existing);
  trust_plugin_file(to);
  return to;
}

// A plugin the build ships: build/plugins/<name>.so (CRM_PLUGIN_DIR).
inline fs::path shipped_plugin_path(const std::string& name) {
  fs::path p = fs::path(CRM_PLUGIN_DIR) / (name + ".so");
  if (!fs::exists(p)) FAIL("plugin " << p << " is not built (build target " << name << ")");
  return p;
}

// Copies a shipped plugin into a plugin folder as <name>.so.
inline fs::path copy_shipped_plugin(const std::string& name, const fs::path& dir) {
  fs::path to = dir / (name + ".so");
  fs::copy_file(shipped_plugin_path(name), to, fs::copy_options::overwrite_existing);
  trust_plugin_file(to);
  return to;
}

// Polls `done` every `every` until it is true or `timeout` has passed.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout, std::chrono::milliseconds every = 100ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

} // namespace itest
