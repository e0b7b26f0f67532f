// ApiClient: the host's REST API as crmctl uses it. It adds the bearer token,
// refreshes an expired session once and retries (transparently), waits out a
// short 429, and turns every error answer into an exception with the exit
// status it deserves (ServerError: 4xx -> 2, 5xx -> 3).
#pragma once

#include "HttpTransport.hpp"
#include "Json.hpp"
#include "Session.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace crmctl {

// A query string built from the parameters that have a value, each encoded.
class Query {
public:
  Query& add(const std::string& key, const std::string& value);
  // "?a=1&b=2", or "" when nothing was added.
  std::string str() const;

private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// One page of a list endpoint: {items, nextCursor}.
struct Page {
  json::Value items;       // an array
  std::string next_cursor; // "" on the last page
};

class ApiClient {
public:
  enum class Auth { Required, None };

  ApiClient(const std::string& server_flag, std::chrono::milliseconds timeout);

  Session& session() { return session_; }
  HttpTransport& http() { return http_; }
  const std::string& server() const { return session_.server(); }

  // One request. Answers >= 400 throw ServerError (with a hint on 401).
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::string& content_type = "application/json", Auth auth = Auth::Required);

  // The same, but an error answer is returned rather than thrown (401 is still
  // refreshed and retried first).
  HttpResponse call_unchecked(const std::string& method, const std::string& target, const std::string& body = {},
                              const std::string& content_type = "application/json", Auth auth = Auth::Required);

  // JSON in and out; an answer that is not JSON is UnreachableError.
  json::Value get(const std::string& target, Auth auth = Auth::Required);
  json::Value get_object(const std::string& target, Auth auth = Auth::Required);
  // The answer's JSON; null for an empty body (204).
  json::Value send_json(const std::string& method, const std::string& target, const json::Value& body);

  // GET of a Server-Sent Events stream: each piece of its body goes to
  // `on_body` until the server ends it or `on_body` returns false. An error
  // answer throws ServerError as call() does (401 is refreshed first).
  void stream(const std::string& target, const Headers& headers,
              const std::function<bool(std::string_view)>& on_body, std::chrono::milliseconds idle);

  // GET of a list endpoint; `target` may already hold a query.
  Page page(const std::string& target);

  // Every item of a list endpoint (follows nextCursor), at most `max` (0: all).
  json::Value all_items(const std::string& target, size_t max = 0);

private:
  Headers auth_headers(Auth auth);
  void require_token(Auth auth);

  Session session_;
  HttpTransport http_;
};

// The JSON of an answer body; UnreachableError naming `what` when it is not.
json::Value parse_answer(const HttpResponse& r, const std::string& what);

// The same, requiring an object.
json::Value parse_object(const HttpResponse& r, const std::string& what);

// The hint printed under a 401/403: how to get a usable session.
std::string auth_hint(const Session& session, int status);

} // namespace crmctl
