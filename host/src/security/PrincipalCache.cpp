// PrincipalCache: see the header.
#include "security/PrincipalCache.hpp"

namespace crm::security {

void PrincipalCache::set_fetch(Fetch fetch) {
  std::lock_guard lock(mutex_);
  fetch_ = std::move(fetch);
  entries_.clear();
  ++generation_;
}

bool PrincipalCache::enabled() const {
  std::lock_guard lock(mutex_);
  return static_cast<bool>(fetch_);
}

PrincipalCache::Lookup PrincipalCache::resolve(const std::string& id, const std::string& role) {
  Fetch fetch;
  std::uint64_t generation;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second.role == role && it->second.expires > std::chrono::steady_clock::now())
      return it->second.lookup;
    fetch = fetch_;
    generation = generation_;
  }
  if (!fetch) return {Verdict::Known, {}};
  Lookup answer = fetch(id, role); // outside the lock: it runs an operation
  if (answer.verdict == Verdict::Unavailable) return answer;
  std::lock_guard lock(mutex_);
  if (generation == generation_) // nothing changed while we asked
    entries_[id] = Entry{answer, role, std::chrono::steady_clock::now() + ttl_, generation};
  return answer;
}

void PrincipalCache::drop(std::string_view subject) {
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    if (subject.empty()) entries_.clear();
    else entries_.erase(std::string(subject));
  }
  std::lock_guard lock(observer_mutex_);
  if (observer_) observer_(std::string(subject));
}

void PrincipalCache::observe(Observer observer) {
  std::lock_guard lock(observer_mutex_);
  observer_ = std::move(observer);
}

} // namespace crm::security
