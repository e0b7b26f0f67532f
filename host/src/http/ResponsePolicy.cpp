// ResponsePolicy: see the header.
#include "http/ResponsePolicy.hpp"

#include <cstdint>
#include <random>

namespace crm::http {

namespace {

// Header names and fixed values as std::string once: Poco's API takes
// const std::string&, and building them per request would allocate each time.
const std::string kOrigin = "Origin";
const std::string kRequestMethod = "Access-Control-Request-Method";
const std::string kVary = "Vary";
const std::string kOriginToken = "Origin";
const std::string kAllowOrigin = "Access-Control-Allow-Origin";
const std::string kAllowMethods = "Access-Control-Allow-Methods";
const std::string kAllowHeaders = "Access-Control-Allow-Headers";
const std::string kAllowHeadersValue = "Authorization, Content-Type, X-Request-Id";
const std::string kMaxAge = "Access-Control-Max-Age";
const std::string kMaxAgeValue = "600";
const std::string kExposeHeaders = "Access-Control-Expose-Headers";
const std::string kExposeHeadersValue = "X-Request-Id, Retry-After, Location";
const std::string kNosniffName = "X-Content-Type-Options";
const std::string kNosniff = "nosniff";
const std::string kFrameOptionsName = "X-Frame-Options";
const std::string kDeny = "DENY";
const std::string kReferrerPolicyName = "Referrer-Policy";
const std::string kNoReferrer = "no-referrer";
const std::string kCacheControlName = "Cache-Control";
const std::string kNoStore = "no-store";
const std::string kCspName = "Content-Security-Policy";
const std::string kCsp = "default-src 'none'; frame-ancestors 'none'";
const std::string kHstsName = "Strict-Transport-Security";

std::string normalize_origin(std::string_view origin) {
  while (!origin.empty() && (origin.front() == ' ' || origin.front() == '\t')) origin.remove_prefix(1);
  while (!origin.empty() && (origin.back() == ' ' || origin.back() == '\t' || origin.back() == '/'))
    origin.remove_suffix(1);
  std::string out(origin);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Whether a comma-separated header value already lists `token`.
bool lists_token(std::string_view value, std::string_view token) {
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (iequals(item, token) || item == "*") return true;
    pos = comma + 1;
  }
  return false;
}

bool is_request_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

} // namespace

ResponsePolicy::ResponsePolicy(ResponsePolicyConfig config) {
  for (const auto& o : config.allowed_origins) {
    std::string n = normalize_origin(o);
    if (n.empty()) continue;
    if (n == "*") any_origin_ = true;
    else origins_.push_back(std::move(n));
  }
  cors_enabled_ = any_origin_ || !origins_.empty();
  if (config.hsts_max_age > 0) hsts_ = "max-age=" + std::to_string(config.hsts_max_age) + "; includeSubDomains";
}

bool ResponsePolicy::origin_allowed(std::string_view origin) const {
  if (origin.empty() || !cors_enabled_) return false;
  if (any_origin_) return true;
  // An origin never ends in '/'; compare as browsers send it, ignoring case.
  for (const auto& o : origins_)
    if (iequals(o, origin)) return true;
  return false;
}

void ResponsePolicy::add_vary_origin(Poco::Net::HTTPResponse& response) const {
  if (!response.has(kVary)) {
    response.set(kVary, kOriginToken);
    return;
  }
  const std::string& existing = response.get(kVary);
  if (!lists_token(existing, kOriginToken)) response.set(kVary, existing + ", " + kOriginToken);
}

void ResponsePolicy::apply(const Poco::Net::HTTPRequest& request, Poco::Net::HTTPResponse& response,
                           bool json) const {
  response.set(kNosniffName, kNosniff);
  response.set(kFrameOptionsName, kDeny);
  response.set(kReferrerPolicyName, kNoReferrer);
  response.set(kCacheControlName, kNoStore);
  if (json) response.set(kCspName, kCsp);
  if (!hsts_.empty()) response.set(kHstsName, hsts_);
  if (!cors_enabled_) return;

  // The answer depends on Origin whenever CORS is on, allowed or not.
  add_vary_origin(response);
  const std::string& origin = request.get(kOrigin, Poco::Net::HTTPRequest::EMPTY);
  if (!origin_allowed(origin)) return;
  // Echo the origin rather than "*": correct even if credentials are ever used.
  response.set(kAllowOrigin, origin);
  response.set(kExposeHeaders, kExposeHeadersValue);
}

bool ResponsePolicy::is_preflight(const Poco::Net::HTTPRequest& request) const {
  return request.getMethod() == Poco::Net::HTTPRequest::HTTP_OPTIONS && request.has(kOrigin) &&
         request.has(kRequestMethod);
}

int ResponsePolicy::answer_preflight(const Poco::Net::HTTPRequest& request, Poco::Net::HTTPResponse& response,
                                     std::string_view allowed_methods) const {
  const std::string& origin = request.get(kOrigin, Poco::Net::HTTPRequest::EMPTY);
  if (!origin_allowed(origin)) {
    response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_FORBIDDEN);
    return 403;
  }
  response.set(kAllowOrigin, origin);
  response.set(kAllowMethods, std::string(allowed_methods));
  response.set(kAllowHeaders, kAllowHeadersValue);
  response.set(kMaxAge, kMaxAgeValue);
  add_vary_origin(response);
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
  return 204;
}

std::string ResponsePolicy::request_id(std::string_view incoming) {
  if (!incoming.empty() && incoming.size() <= 128) {
    bool ok = true;
    for (char c : incoming) ok = ok && is_request_id_char(c);
    if (ok) return std::string(incoming);
  }
  // One generator per thread: no lock on the hot path. Seeded from the OS once
  // per thread; ids must be unique, not secret.
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
  return id;
}

std::vector<std::string> ResponsePolicy::parse_origins(std::string_view comma_separated) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= comma_separated.size()) {
    std::size_t comma = comma_separated.find(',', pos);
    if (comma == std::string_view::npos) comma = comma_separated.size();
    std::string item = normalize_origin(comma_separated.substr(pos, comma - pos));
    if (!item.empty()) out.push_back(std::move(item));
    pos = comma + 1;
  }
  return out;
}

} // namespace crm::http
