// RevocationList: see the header.
#include "security/RevocationList.hpp"

#include <charconv>
#include <chrono>
#include <mutex>
#include <vector>

namespace crm::security {

namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

bool RevocationList::is_revoked(std::string_view jti) const {
  std::shared_lock lock(mutex_);
  if (revoked_.empty()) return false;
  return revoked_.find(std::string(jti)) != revoked_.end();
}

void RevocationList::revoke(const std::string& jti, std::int64_t expires_at) {
  const std::string expiry = std::to_string(expires_at);
  const std::string payload = jti + " " + expiry;
  const char* params[] = {jti.c_str(), expiry.c_str(), payload.c_str()};
  auto conn = pool_.acquire();
  // One statement, so the row and the announcement commit together.
  conn->query("with r as (insert into platform.revoked_tokens (jti, expires_at) values ($1, to_timestamp($2::bigint)) "
              "on conflict (jti) do nothing) select pg_notify('crm_revoked', $3)",
              params, 3);
  add(jti, expires_at);
}

void RevocationList::learn(std::string_view payload) {
  auto space = payload.find(' ');
  if (space == std::string_view::npos) return;
  std::int64_t expires_at = 0;
  auto tail = payload.substr(space + 1);
  if (std::from_chars(tail.data(), tail.data() + tail.size(), expires_at).ec != std::errc()) return;
  add(std::string(payload.substr(0, space)), expires_at);
}

void RevocationList::reload(storage::PgConnection& conn) {
  auto rows = conn.query("select jti, extract(epoch from expires_at)::bigint from platform.revoked_tokens "
                         "where expires_at > now()",
                         nullptr, 0);
  std::unordered_map<std::string, std::int64_t> fresh;
  for (int i = 0; i < rows.rows(); ++i) fresh.emplace(rows.value(i, 0), std::stoll(rows.value(i, 1)));
  std::vector<std::string> learnt; // revoked while we were not listening
  {
    std::unique_lock lock(mutex_);
    for (const auto& [jti, expires_at] : fresh)
      if (!revoked_.count(jti)) learnt.push_back(jti);
    revoked_.swap(fresh);
  }
  for (const auto& jti : learnt) tell(jti);
}

void RevocationList::observe(Observer observer) {
  std::lock_guard lock(observer_mutex_);
  observer_ = std::move(observer);
}

void RevocationList::tell(const std::string& jti) {
  std::lock_guard lock(observer_mutex_);
  if (observer_) observer_(jti);
}

void RevocationList::add(std::string jti, std::int64_t expires_at) {
  const std::int64_t now = now_unix();
  {
    std::unique_lock lock(mutex_);
    // Expired entries are useless (the token fails on exp anyway): prune now and then.
    if (revoked_.size() > 1024 && revoked_.size() % 256 == 0)
      for (auto it = revoked_.begin(); it != revoked_.end();)
        it = it->second < now ? revoked_.erase(it) : std::next(it);
    revoked_[jti] = expires_at;
  }
  tell(jti);
}

size_t RevocationList::size() const {
  std::shared_lock lock(mutex_);
  return revoked_.size();
}

} // namespace crm::security
