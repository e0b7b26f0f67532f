// Credentials: the sessions crmctl keeps between runs, one per server, in
// $XDG_CONFIG_HOME/crmctl/credentials.json (default ~/.config/crmctl). The
// folder is 0700 and the file 0600, written whole to a temporary file and
// renamed, so a reader never sees half of it. Two crmctl processes refreshing
// at once serialise on an flock of credentials.lock: the auth plugin treats a
// refresh token presented twice as stolen and ends the whole session family.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace crmctl {

struct StoredSession {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_at = 0; // unix seconds; 0 unknown
  std::string user_id;
  std::string email;
  std::string role;
};

struct Credentials {
  std::string current_server;                    // the last server signed in to
  std::map<std::string, StoredSession> sessions; // by server URL
};

class CredentialStore {
public:
  // The folder from the environment ($XDG_CONFIG_HOME, else $HOME/.config).
  CredentialStore();
  explicit CredentialStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path file() const { return dir_ / "credentials.json"; }

  // What is stored; empty when there is no file. Throws UsageError when the
  // file is there but unreadable (the message names it).
  Credentials load() const;
  // Replaces the file (0600, atomically); throws UsageError when it cannot.
  void save(const Credentials& credentials) const;

  // An exclusive lock on the folder's credentials.lock while it lives.
  class Lock {
  public:
    explicit Lock(const std::filesystem::path& file);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

  private:
    int fd_ = -1;
  };
  Lock lock() const;

private:
  std::filesystem::path dir_;
};

} // namespace crmctl
