// PrincipalCache: what the principal provider (the plugin operation flagged
// CRM_OP_PRINCIPAL) says about a user - its team, whether it is active - kept
// per user so a request costs no database round trip. Entries live for a TTL
// and are dropped when a plugin reports a change (principal_changed, announced
// to every host by NOTIFY crm_principal once the change commits).
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace crm::security {

class PrincipalCache {
public:
  enum class Verdict { Known, Unknown, Unavailable };
  struct Lookup {
    Verdict verdict = Verdict::Unavailable;
    std::string members; // the provider's object members, without braces ("\"team\":[...],...")
  };
  // Asks the provider: Known with its object, Unknown (no such user, or
  // "active": false), Unavailable (the provider could not answer).
  using Fetch = std::function<Lookup(const std::string& id, const std::string& role)>;

  explicit PrincipalCache(std::chrono::seconds ttl) : ttl_(ttl) {}

  void set_fetch(Fetch fetch);
  bool enabled() const;
  Lookup resolve(const std::string& id, const std::string& role);

  // subject empty: everyone.
  void drop(std::string_view subject);
  void clear() { drop({}); }

  // Told each drop (subject empty: everyone) after it, on the dropping
  // thread: keep it short. One observer; nullptr removes it.
  using Observer = std::function<void(const std::string& subject)>;
  void observe(Observer observer);

private:
  struct Entry {
    Lookup lookup;
    std::string role;
    std::chrono::steady_clock::time_point expires;
    std::uint64_t generation;
  };
  std::chrono::seconds ttl_;
  mutable std::mutex mutex_;
  Fetch fetch_;
  std::unordered_map<std::string, Entry> entries_;
  // Bumped by every drop: an answer fetched before a drop is not cached after it.
  std::uint64_t generation_ = 0;
  std::mutex observer_mutex_; // held while the observer runs, so removing it waits for it
  Observer observer_;
};

} // namespace crm::security
