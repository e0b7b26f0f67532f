// Session: see the header.
#include "Session.hpp"

#include "Errors.hpp"
#include "Json.hpp"

#include <cstdlib>
#include <ctime>
#include <optional>

namespace crmctl {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

} // namespace

StoredSession session_of(const json::Value& answer, std::int64_t at) {
  StoredSession s;
  s.access_token = json::text(answer, "accessToken");
  s.refresh_token = json::text(answer, "refreshToken");
  const std::string expires_in = json::text(answer, "expiresIn");
  try {
    if (!expires_in.empty()) s.expires_at = at + static_cast<std::int64_t>(std::stod(expires_in));
  } catch (const std::exception&) {
    s.expires_at = 0;
  }
  s.user_id = json::text(answer, "user.id");
  s.email = json::text(answer, "user.email");
  s.role = json::text(answer, "user.role");
  return s;
}

Session::Session(const std::string& server_flag, CredentialStore store) : store_(std::move(store)) {
  const std::string env_server = env("CRMCTL_SERVER");
  const std::string env_token = env("CRMCTL_TOKEN");
  // The file is read only when something in it is needed.
  std::optional<Credentials> credentials;
  auto stored = [&]() -> const Credentials& {
    if (!credentials) credentials = store_.load();
    return *credentials;
  };
  if (!server_flag.empty())
    server_ = server_flag;
  else if (!env_server.empty())
    server_ = env_server;
  else if (!stored().current_server.empty())
    server_ = stored().current_server;
  else
    server_ = kDefaultServer;
  server_ = normalise_server(server_);

  if (!env_token.empty()) {
    source_ = Source::Environment;
    stored_.access_token = env_token;
    return;
  }
  auto it = stored().sessions.find(server_);
  if (it != stored().sessions.end() && !it->second.access_token.empty()) {
    source_ = Source::Stored;
    stored_ = it->second;
  }
}

bool Session::expired() const {
  return source_ == Source::Stored && stored_.expires_at > 0 && now() + 10 >= stored_.expires_at;
}

bool Session::refresh(HttpTransport& http) {
  if (!can_refresh()) return false;
  auto lock = store_.lock();
  Credentials c = store_.load();
  auto it = c.sessions.find(server_);
  if (it == c.sessions.end()) return false; // signed out meanwhile
  if (it->second.access_token != stored_.access_token && !it->second.access_token.empty()) {
    // Another crmctl refreshed while we waited for the lock: its pair is ours.
    stored_ = it->second;
    return !expired();
  }
  const std::string body = "{\"refreshToken\":" + json::quote(stored_.refresh_token) + "}";
  const std::int64_t asked_at = now();
  auto r = http.send("POST", "/api/auth/refresh", body, "application/json");
  if (r.status == 401 || r.status == 403 || r.status == 422) return false;
  if (r.status >= 400) throw ServerError(parse_problem(r.status, r.body));
  auto answer = json::try_parse_object(r.body);
  if (!answer || json::text(*answer, "accessToken").empty())
    throw UnreachableError("the server's answer to POST /api/auth/refresh has no accessToken");
  StoredSession fresh = session_of(*answer, asked_at);
  // The refresh answer may leave the user out: keep who we knew.
  if (fresh.user_id.empty()) fresh.user_id = stored_.user_id, fresh.email = stored_.email, fresh.role = stored_.role;
  c.sessions[server_] = fresh;
  store_.save(c);
  stored_ = fresh;
  return true;
}

void Session::store_login(const json::Value& answer) {
  auto lock = store_.lock();
  Credentials c = store_.load();
  stored_ = session_of(answer, now());
  c.sessions[server_] = stored_;
  c.current_server = server_;
  store_.save(c);
  source_ = Source::Stored;
}

void Session::forget() {
  auto lock = store_.lock();
  Credentials c = store_.load();
  c.sessions.erase(server_); // the current server stays: the next login goes there
  store_.save(c);
  source_ = Source::None;
  stored_ = {};
}

} // namespace crmctl
