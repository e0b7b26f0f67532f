// RevocationList: access-token ids (jti) revoked before their expiry. Kept in
// memory on every host so checking a token costs no round trip; written to
// platform.revoked_tokens and announced with NOTIFY crm_revoked so the other
// hosts learn of it at once (and reload the table after a reconnect).
// Thread-safe.
#pragma once

#include "storage/ConnectionPool.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace crm::security {

class RevocationList {
public:
  explicit RevocationList(storage::ConnectionPool& pool) : pool_(pool) {}

  bool is_revoked(std::string_view jti) const;
  // Records the revocation in PostgreSQL (committed at once) and here.
  // Throws storage::PgError when PostgreSQL cannot take it.
  void revoke(const std::string& jti, std::int64_t expires_at);

  // From a NOTIFY payload "jti expires_at".
  void learn(std::string_view payload);
  // Replaces the list with the table's unexpired rows (after a reconnect).
  void reload(storage::PgConnection& conn);
  size_t size() const;

  // Told each jti this host learns is revoked (here, by NOTIFY, or by a
  // reload), on the thread that learnt it: keep it short. One observer;
  // nullptr removes it.
  using Observer = std::function<void(const std::string& jti)>;
  void observe(Observer observer);

private:
  void add(std::string jti, std::int64_t expires_at);
  void tell(const std::string& jti);

  storage::ConnectionPool& pool_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::int64_t> revoked_; // jti -> unix expiry
  std::mutex observer_mutex_; // held while the observer runs, so removing it waits for it
  Observer observer_;
};

} // namespace crm::security
