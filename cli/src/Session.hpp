// Session: which server this run talks to and with which token.
//
// Server, first found: --server, $CRMCTL_SERVER, the server of the last
// login, http://127.0.0.1:8080 (crm-host's default http.port).
// Token, first found: $CRMCTL_TOKEN (used as is, never refreshed or stored),
// the stored session for that server (refreshed with its refresh token when
// it has expired or the server answers 401).
#pragma once

#include "Credentials.hpp"
#include "HttpTransport.hpp"

#include "Json.hpp"

#include <string>

namespace crmctl {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:8080";

class Session {
public:
  enum class Source { None, Environment, Stored };

  // Reads the environment and the credentials file.
  Session(const std::string& server_flag, CredentialStore store);

  const std::string& server() const { return server_; }
  Source source() const { return source_; }
  const std::string& access_token() const { return stored_.access_token; }
  const StoredSession& stored() const { return stored_; }
  const CredentialStore& store() const { return store_; }

  // A stored session whose access token is past (or within 10 s of) its expiry.
  bool expired() const;
  bool can_refresh() const { return source_ == Source::Stored && !stored_.refresh_token.empty(); }

  // Gets a new token pair with the refresh token (POST /api/auth/refresh) and
  // stores it, under the credentials lock; adopts the pair another crmctl
  // stored meanwhile instead of spending the token twice. False when the
  // refresh token is dead; throws ServerError/UnreachableError otherwise.
  bool refresh(HttpTransport& http);

  // Keeps the answer of POST /api/auth/login ({accessToken, refreshToken,
  // expiresIn, user}) as this server's session and the current server.
  void store_login(const json::Value& answer);

  // Removes this server's stored session (logout).
  void forget();

private:
  std::string server_;
  CredentialStore store_;
  Source source_ = Source::None;
  StoredSession stored_;
};

// The stored form of a login or refresh answer.
StoredSession session_of(const json::Value& answer, std::int64_t now);

} // namespace crmctl
