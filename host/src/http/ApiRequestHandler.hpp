// ApiRequestHandler: one HTTP request, start to end. Order of the pipeline:
// request id -> CORS preflight -> route (the plugins' operations and the
// host's own, see PlatformOperations) -> authenticate and re-check the
// principal -> rate limit -> read and check the body -> build the input ->
// invoke -> reply (JSON or problem+json), with security headers on every
// response and one metrics sample per request.
#pragma once

#include "http/HttpServices.hpp"
#include "http/RequestInput.hpp"
#include "core/Problem.hpp"

#include <Poco/Net/HTTPRequestHandler.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace crm::http {

// What goes back to the client; filled by the pipeline, written once.
struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string operation = "unmatched"; // the metrics label
  bool body_read = false;               // the request body has been consumed
  bool upgraded = false;                // the socket became a WebSocket: nothing to send
};

class ApiRequestHandler : public Poco::Net::HTTPRequestHandler {
public:
  explicit ApiRequestHandler(HttpServices& services) : s_(services) {}
  enum class PrincipalVerdict { Known, Unknown, Unavailable };
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
  void dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, std::string_view path,
                std::string_view query, const std::string& request_id, Reply& reply);
  // The phases of dispatch, each setting the reply (a problem) and answering
  // false or empty when the request ends there.
  using RouteMatch = decltype(std::declval<const plugins::PluginRegistry::Snapshot&>().routes.match("", ""));
  // The operation for method and path: 404, or 405 with Allow.
  static std::optional<RouteMatch> route(const plugins::PluginRegistry::Snapshot& snapshot, const std::string& method,
                                         std::string_view path, Reply& reply);
  // Who calls: anonymous for a public operation without a token, else the
  // token's principal, completed (kept in `authenticated`); 401 or 503.
  const security::Principal* caller_of(const Poco::Net::HTTPServerRequest& request, const plugins::Operation& op,
                                       std::string_view path, std::optional<security::Principal>& authenticated,
                                       Reply& reply) const;
  // The operation's rate class admits the caller: 429 with Retry-After.
  bool within_rate(const plugins::Operation& op, const std::string& client_ip, const security::Principal& principal,
                   std::string_view path, Reply& reply) const;
  // The body of a POST, PUT, PATCH or DELETE, up to the cap: 413 or 415.
  bool read_request_body(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                         const plugins::Operation& op, std::string_view path, std::string& body, Reply& reply) const;
  // The operation's outcome as the reply: its problem, or its body (as CSV
  // when the client prefers it and the body is a list of items).
  static void answer(const Poco::Net::HTTPServerRequest& request, plugins::Outcome outcome, std::string_view path,
                     Reply& reply);
  // GET /api/notifications/stream: the WebSocket upgrade (NotificationStreams).
  void open_stream(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                   std::string_view path, std::string_view query, Reply& reply);
  // GET on a plugin's CRM_OP_STREAM route: a live stream (PluginStreamRoute).
  void open_plugin_stream(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                          std::string_view path, std::string_view query, const plugins::Operation& op,
                          const Params& path_params, const std::string& request_id, Reply& reply);
  // Adds what the principal provider knows (team, ...); Unknown for a user
  // that no longer exists or is inactive.
  PrincipalVerdict complete_principal(security::Principal& p) const;
  std::optional<security::Principal> authenticate(const Poco::Net::HTTPServerRequest& request) const;
  // A verified token's principal, completed: the caller of a host endpoint
  // open to any signed-in user. nullopt with the reply set to 401 (no valid
  // token, or a user no longer active; `why` says how to send one) or 503
  // (the user directory is down).
  std::optional<security::Principal> signed_in(std::optional<security::Principal> verified, std::string_view path,
                                               Reply& reply, const char* why = "a valid access token is required") const;
  // Metrics, the request log and the in-flight count, once per request.
  void finish(const Poco::Net::HTTPServerRequest& request, std::string_view path, const Reply& reply,
              std::chrono::steady_clock::time_point started, const std::string& request_id);
  static void problem(Reply& reply, core::Problem p, std::string_view path);

  HttpServices& s_;
};

} // namespace crm::http
