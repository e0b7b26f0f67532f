// ApiRequestHandler: see the header.
#include "http/ApiRequestHandler.hpp"

#include "http/CsvReply.hpp"
#include "http/RequestInput.hpp"
#include "log/Log.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/MediaType.h>

#include <chrono>
#include <istream>
#include <limits>

namespace crm::http {

namespace {

bool has_body_method(const std::string& m) { return m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE"; }

bool is_json_type(const std::string& content_type) {
  std::string_view ct(content_type);
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  std::string lower(ct);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json" || (lower.rfind("application/", 0) == 0 && lower.size() > 5 &&
                                          lower.compare(lower.size() - 5, 5, "+json") == 0);
}

// Reads at most limit + 1 bytes: enough to tell "too large" without reading it all.
bool read_body(std::istream& in, size_t limit, std::string& out) {
  char buffer[8192];
  while (in) {
    in.read(buffer, sizeof buffer);
    auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (out.size() + n > limit) return false;
    out.append(buffer, n);
  }
  return true;
}

bool request_has_body(const Poco::Net::HTTPServerRequest& request) {
  return (request.hasContentLength() && request.getContentLength64() > 0) || request.getChunkedTransferEncoding();
}

} // namespace

void ApiRequestHandler::problem(Reply& reply, core::Problem p, std::string_view path) {
  reply.status = p.status;
  reply.content_type = "application/problem+json";
  p.instance = std::string(path);
  reply.body = p.to_json();
}

std::optional<security::Principal> ApiRequestHandler::authenticate(const Poco::Net::HTTPServerRequest& request) const {
  const std::string& auth = request.get("Authorization", "");
  if (auth.size() < 8 || (auth.compare(0, 7, "Bearer ") != 0 && auth.compare(0, 7, "bearer ") != 0)) return std::nullopt;
  return s_.tokens->verify(std::string_view(auth).substr(7));
}

std::optional<security::Principal> ApiRequestHandler::signed_in(std::optional<security::Principal> verified,
                                                                std::string_view path, Reply& reply,
                                                                const char* why) const {
  if (verified) {
    auto verdict = complete_principal(*verified);
    if (verdict == PrincipalVerdict::Unavailable) {
      problem(reply, core::Problem{503, "", "the user directory is unavailable; try again", "", {}}, path);
      return std::nullopt;
    }
    if (verdict == PrincipalVerdict::Unknown) verified.reset();
  }
  if (!verified) {
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    problem(reply, core::Problem{401, "", why, "", {}}, path);
  }
  return verified;
}

ApiRequestHandler::PrincipalVerdict ApiRequestHandler::complete_principal(security::Principal& p) const {
  if (!s_.principals || !s_.principals->enabled()) return PrincipalVerdict::Known;
  auto lookup = s_.principals->resolve(p.id, p.role);
  using V = security::PrincipalCache::Verdict;
  if (lookup.verdict == V::Unknown) return PrincipalVerdict::Unknown;
  if (lookup.verdict == V::Unavailable) return PrincipalVerdict::Unavailable;
  if (!lookup.members.empty()) p.json = security::principal_json(p, lookup.members);
  return PrincipalVerdict::Known;
}

void ApiRequestHandler::handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  auto started = std::chrono::steady_clock::now();
  s_.in_flight.fetch_add(1, std::memory_order_relaxed);
  const std::string request_id = ResponsePolicy::request_id(request.get("X-Request-Id", ""));
  const std::string& uri = request.getURI();
  size_t q = uri.find('?');
  std::string_view path = std::string_view(uri).substr(0, q);
  std::string_view query = q == std::string::npos ? std::string_view() : std::string_view(uri).substr(q + 1);

  Reply reply;
  try {
    dispatch(request, response, path, query, request_id, reply);
  } catch (const std::exception& e) {
    log::error("http", std::string("request failed: ") + e.what(), {{"request_id", request_id}});
    reply = Reply{};
    problem(reply, core::Problem{500, "", "internal error", "", {}}, path);
  }

  // A body left unread would be parsed as the next request on this
  // connection: drain a small one, close the connection on a large one.
  if (!reply.body_read && request_has_body(request)) {
    if (request.hasContentLength() && request.getContentLength64() <= static_cast<Poco::Int64>(s_.max_body_bytes))
      request.stream().ignore(std::numeric_limits<std::streamsize>::max());
    else
      response.setKeepAlive(false);
  }

  if (reply.upgraded) { // the WebSocket handshake has answered already
    finish(request, path, reply, started, request_id);
    return;
  }
  response.set("X-Request-Id", request_id);
  for (auto& [name, value] : reply.headers) response.set(name, value);
  s_.policy->apply(request, response, reply.content_type.find("json") != std::string::npos);
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
  if (reply.status == 204 || reply.body.empty() || request.getMethod() == "HEAD") {
    response.setContentLength(0);
    response.send();
  } else {
    response.setContentType(reply.content_type);
    response.sendBuffer(reply.body.data(), reply.body.size());
  }

  finish(request, path, reply, started, request_id);
}

void ApiRequestHandler::finish(const Poco::Net::HTTPServerRequest& request, std::string_view path, const Reply& reply,
                               std::chrono::steady_clock::time_point started, const std::string& request_id) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  s_.metrics->record_request(reply.operation, reply.status, seconds);
  if (s_.log_requests)
    log::info("http", request.getMethod() + " " + std::string(path) + " " + std::to_string(reply.status),
              {{"request_id", request_id}, {"operation", reply.operation}, {"duration_ms", std::to_string(seconds * 1000)}});
  s_.in_flight.fetch_sub(1, std::memory_order_relaxed);
}

void ApiRequestHandler::dispatch(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                                 std::string_view path, std::string_view query, const std::string& request_id,
                                 Reply& reply) {
  auto snapshot = s_.registry->snapshot(); // the matched operation lives as long as this
  if (s_.policy->is_preflight(request)) {
    auto m = snapshot->routes.match("OPTIONS", path);
    reply.operation = "cors.preflight";
    reply.status = s_.policy->answer_preflight(request, response, m.allow);
    reply.content_type.clear();
    return;
  }
  if (path == "/api/notifications/stream") {
    open_stream(request, response, path, query, reply);
    return;
  }
  auto match = route(*snapshot, request.getMethod(), path, reply);
  if (!match) return;
  const plugins::Operation& op = **match->target;
  reply.operation = op.name;
  if ((op.flags & CRM_OP_STREAM) && request.getMethod() == "GET") {
    Params path_params;
    for (const auto& [name, value] : match->params) path_params.emplace_back(std::string(name), std::string(value));
    open_plugin_stream(request, response, path, query, op, path_params, request_id, reply);
    return;
  }

  std::optional<security::Principal> authenticated;
  const security::Principal* principal = caller_of(request, op, path, authenticated, reply);
  if (!principal) return;
  const std::string client_ip = request.clientAddress().host().toString();
  if (!within_rate(op, client_ip, *principal, path, reply)) return;
  std::string body;
  if (!read_request_body(request, response, op, path, body, reply)) return;

  Params path_params;
  path_params.reserve(match->params.size());
  for (const auto& [name, value] : match->params) path_params.emplace_back(std::string(name), std::string(value));
  // A raw body (a workflow's Lua source) goes to the handler as it came.
  InputResult input = build_input(op.raw_body ? std::string_view() : std::string_view(body), parse_query(query),
                                  path_params);
  if (input.problem) {
    problem(reply, std::move(*input.problem), path);
    return;
  }

  plugins::Invocation inv;
  inv.op = &op;
  inv.input = input.json;
  inv.parsed = input.parsed.isEmpty() ? nullptr : &input.parsed;
  inv.principal = principal;
  inv.request_id = request_id.c_str();
  inv.trace_id = request_id.c_str();
  inv.client_ip = client_ip.c_str();
  const std::string idempotency_key = request.get("Idempotency-Key", "");
  if (!idempotency_key.empty()) inv.request_idempotency_key = idempotency_key.c_str();
  inv.path = path;
  if (op.raw_body) {
    inv.body = body;
    inv.content_type = request.getContentType();
  }
  answer(request, s_.invoker->invoke(inv), path, reply);
}

std::optional<ApiRequestHandler::RouteMatch> ApiRequestHandler::route(const plugins::PluginRegistry::Snapshot& snapshot,
                                                                      const std::string& method, std::string_view path,
                                                                      Reply& reply) {
  auto match = snapshot.routes.match(method, path);
  using Kind = decltype(match.kind);
  if (method == "HEAD" && match.kind != Kind::Found) {
    // HEAD is GET without the body (handleRequest sends none).
    auto as_get = snapshot.routes.match("GET", path);
    if (as_get.kind == Kind::Found) match = std::move(as_get);
  }
  if (match.kind == Kind::NotFound) {
    problem(reply, core::Problem{404, "", "no route for " + method + " " + std::string(path), "", {}}, path);
    return std::nullopt;
  }
  if (match.kind == Kind::MethodNotAllowed) {
    reply.headers.emplace_back("Allow", match.allow);
    problem(reply, core::Problem{405, "", method + " is not allowed here; allowed: " + match.allow, "", {}}, path);
    return std::nullopt;
  }
  return match;
}

const security::Principal* ApiRequestHandler::caller_of(const Poco::Net::HTTPServerRequest& request,
                                                        const plugins::Operation& op, std::string_view path,
                                                        std::optional<security::Principal>& authenticated,
                                                        Reply& reply) const {
  if (op.roles.is_public() && !request.has("Authorization")) return &security::Principal::anonymous_caller();
  // A public operation sees a caller that identifies itself; a stale or bad
  // token there is ignored (a login must not fail for an expired token).
  authenticated = authenticate(request);
  if (authenticated) {
    auto verdict = complete_principal(*authenticated);
    if (verdict == PrincipalVerdict::Unavailable) {
      problem(reply, core::Problem{503, "", "the user directory is unavailable; try again", "", {}}, path);
      return nullptr;
    }
    if (verdict == PrincipalVerdict::Unknown) authenticated.reset();
  }
  if (authenticated) return &*authenticated;
  if (op.roles.is_public()) return &security::Principal::anonymous_caller();
  reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  problem(reply, core::Problem{401, "", "a valid access token is required", "", {}}, path);
  return nullptr;
}

bool ApiRequestHandler::within_rate(const plugins::Operation& op, const std::string& client_ip,
                                    const security::Principal& principal, std::string_view path, Reply& reply) const {
  if (!s_.rate_limiter) return true;
  const int wait = s_.rate_limiter->check(op.rate_class, client_ip, principal.anonymous() ? std::string() : principal.id);
  if (wait == 0) return true;
  reply.headers.emplace_back("Retry-After", std::to_string(wait));
  problem(reply, core::Problem{429, "", "too many requests; retry after " + std::to_string(wait) + " s", "", {}}, path);
  return false;
}

bool ApiRequestHandler::read_request_body(Poco::Net::HTTPServerRequest& request,
                                          Poco::Net::HTTPServerResponse& response, const plugins::Operation& op,
                                          std::string_view path, std::string& body, Reply& reply) const {
  if (!has_body_method(request.getMethod())) return true;
  // A declared length over the limit is refused unread; a longer body than
  // declared (or a chunked one) is read up to the limit, and the rest left.
  const bool declared_too_large =
      request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(s_.max_body_bytes);
  if (!declared_too_large) reply.body_read = true;
  if (declared_too_large || !read_body(request.stream(), s_.max_body_bytes, body)) {
    if (reply.body_read) response.setKeepAlive(false); // the rest of the body stays unread
    problem(reply, core::Problem{413, "", "the body is larger than " + std::to_string(s_.max_body_bytes) + " bytes", "", {}},
            path);
    return false;
  }
  if (!body.empty() && !op.raw_body && !is_json_type(request.getContentType())) {
    problem(reply, core::Problem{415, "", "send the body as application/json", "", {}}, path);
    return false;
  }
  return true;
}

void ApiRequestHandler::answer(const Poco::Net::HTTPServerRequest& request, plugins::Outcome outcome,
                               std::string_view path, Reply& reply) {
  for (auto& header : outcome.headers) reply.headers.push_back(std::move(header));
  if (outcome.status != CRM_OK && outcome.preformatted_problem) {
    reply.status = outcome.http_status;
    reply.content_type = "application/problem+json";
    reply.body = std::move(outcome.body);
    return;
  }
  if (outcome.status != CRM_OK) {
    problem(reply, core::Problem{outcome.http_status, "", std::move(outcome.message), "", std::move(outcome.errors)}, path);
    return;
  }
  reply.status = outcome.http_status;
  reply.body = std::move(outcome.body);
  if (!outcome.content_type.empty()) reply.content_type = std::move(outcome.content_type);
  if (request.has("Accept") && prefers_csv(request.get("Accept"))) {
    reply.headers.emplace_back("Vary", "Accept");
    if (auto csv = items_csv(reply.body)) {
      reply.body = std::move(*csv);
      reply.content_type = "text/csv; charset=utf-8";
    }
  }
}

} // namespace crm::http
