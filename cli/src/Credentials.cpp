// Credentials: see the header.
#include "Credentials.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace crmctl {

namespace {

fs::path default_dir() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg == '/') return fs::path(xdg) / "crmctl";
  const char* home = std::getenv("HOME");
  if (home && *home) return fs::path(home) / ".config" / "crmctl";
  return fs::path(".crmctl"); // no home at all: the current folder
}

void make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
}

std::int64_t integer(const json::Value& o, const std::string& key) {
  const std::string text = json::text(o, key);
  try {
    return text.empty() ? 0 : std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

} // namespace

CredentialStore::CredentialStore() : dir_(default_dir()) {}

Credentials CredentialStore::load() const {
  Credentials c;
  std::ifstream in(file(), std::ios::binary);
  if (!in) return c;
  std::stringstream text;
  text << in.rdbuf();
  auto root = json::try_parse_object(text.str());
  if (!root) throw UsageError(file().string() + " is not valid JSON; remove it and sign in again (crmctl login)");
  c.current_server = json::text(*root, "current");
  for (const auto& [server, s] : root->get("sessions").members()) {
    if (!s.is_object()) continue;
    StoredSession session;
    session.access_token = json::text(s, "accessToken");
    session.refresh_token = json::text(s, "refreshToken");
    session.expires_at = integer(s, "expiresAt");
    session.user_id = json::text(s, "user.id");
    session.email = json::text(s, "user.email");
    session.role = json::text(s, "user.role");
    c.sessions[server] = session;
  }
  return c;
}

void CredentialStore::save(const Credentials& c) const {
  json::Value sessions = json::Value::object();
  for (const auto& [server, s] : c.sessions) {
    json::Value user = json::Value::object();
    user.set("id", s.user_id);
    user.set("email", s.email);
    user.set("role", s.role);
    json::Value session = json::Value::object();
    session.set("accessToken", s.access_token);
    session.set("refreshToken", s.refresh_token);
    session.set("expiresAt", static_cast<long long>(s.expires_at));
    session.set("user", std::move(user));
    sessions.set(server, std::move(session));
  }
  json::Value root = json::Value::object();
  root.set("current", c.current_server);
  root.set("sessions", std::move(sessions));
  const std::string text = json::write(root) + "\n";

  make_private_dir(dir_);
  const fs::path tmp = dir_ / ("credentials.json.tmp." + std::to_string(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError("cannot write " + tmp.string() + ": " + std::strerror(errno));
  ::fchmod(fd, 0600); // O_CREAT's mode only applies to a new file
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file().c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw UsageError("cannot write " + file().string() + ": " + why);
  }
}

CredentialStore::Lock::Lock(const fs::path& file) {
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

CredentialStore::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_); // closing releases the flock
}

CredentialStore::Lock CredentialStore::lock() const {
  make_private_dir(dir_);
  return Lock(dir_ / "credentials.lock");
}

} // namespace crmctl
