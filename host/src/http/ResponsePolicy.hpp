// ResponsePolicy: the headers every response carries (security headers, CORS)
// and the request id, decided once from configuration and applied per request.
// Immutable after construction, so one instance serves all request threads.
#pragma once

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <string>
#include <string_view>
#include <vector>

namespace crm::http {

struct ResponsePolicyConfig {
  // Origins allowed by CORS ("https://app.example.com"); "*" allows any.
  // Empty: no CORS headers at all, browsers on other origins are refused.
  std::vector<std::string> allowed_origins;
  // Strict-Transport-Security max-age in seconds; 0 leaves the header out.
  int hsts_max_age = 0;
};

class ResponsePolicy {
public:
  explicit ResponsePolicy(ResponsePolicyConfig config);

  // Sets the security headers, and the CORS headers when the request comes
  // from an allowed Origin. `json`: the body is JSON (not HTML, never framed,
  // never runs scripts), so a strict Content-Security-Policy costs nothing.
  void apply(const Poco::Net::HTTPRequest& request, Poco::Net::HTTPResponse& response, bool json) const;

  // An OPTIONS request carrying Origin and Access-Control-Request-Method.
  bool is_preflight(const Poco::Net::HTTPRequest& request) const;

  // Answers a preflight: 204 with the Access-Control-Allow-* headers when the
  // origin is allowed, 403 without any CORS header otherwise. Also sets the
  // status on `response`. `allowed_methods` is what the path supports
  // ("GET, PATCH, DELETE"), as the Router reports it.
  int answer_preflight(const Poco::Net::HTTPRequest& request, Poco::Net::HTTPResponse& response,
                       std::string_view allowed_methods) const;

  bool origin_allowed(std::string_view origin) const;

  // The incoming X-Request-Id when it is 1..128 characters of [A-Za-z0-9._-]
  // (safe to log and echo), otherwise a new random id of 32 hex digits.
  static std::string request_id(std::string_view incoming);

  // "https://a.example, https://b.example" -> the list, trimmed, empties dropped.
  static std::vector<std::string> parse_origins(std::string_view comma_separated);

private:
  void add_vary_origin(Poco::Net::HTTPResponse& response) const;

  std::vector<std::string> origins_; // lower-case, without a trailing '/'
  bool any_origin_ = false;
  bool cors_enabled_ = false;
  std::string hsts_; // the header value, empty when off
};

} // namespace crm::http
