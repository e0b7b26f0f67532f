// Tests of http/ResponsePolicy: security headers, CORS and request ids.
#include "http/ResponsePolicy.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

using crm::http::ResponsePolicy;
using crm::http::ResponsePolicyConfig;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

HTTPRequest request(const std::string& method, const std::string& origin = "") {
  HTTPRequest req(method, "/api/customers", HTTPRequest::HTTP_1_1);
  if (!origin.empty()) req.set("Origin", origin);
  return req;
}

ResponsePolicy policy(std::vector<std::string> origins, int hsts = 0) {
  return ResponsePolicy(ResponsePolicyConfig{std::move(origins), hsts});
}

} // namespace

TEST_CASE("every response carries the security headers", "[response-policy]") {
  HTTPResponse res;
  policy({}).apply(request("GET"), res, false);
  CHECK(res.get("X-Content-Type-Options") == "nosniff");
  CHECK(res.get("X-Frame-Options") == "DENY");
  CHECK(res.get("Referrer-Policy") == "no-referrer");
  CHECK(res.get("Cache-Control") == "no-store");
  CHECK_FALSE(res.has("Content-Security-Policy"));
  CHECK_FALSE(res.has("Strict-Transport-Security"));
}

TEST_CASE("a JSON response gets a content security policy that forbids everything", "[response-policy]") {
  HTTPResponse res;
  policy({}).apply(request("GET"), res, true);
  CHECK(res.get("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'");
}

TEST_CASE("HSTS is sent only when a max-age is configured", "[response-policy]") {
  HTTPResponse res;
  policy({}, 31536000).apply(request("GET"), res, true);
  CHECK(res.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
}

TEST_CASE("an allowed origin is echoed with Vary and the exposed headers", "[response-policy]") {
  HTTPResponse res;
  policy({"https://app.example.com"}).apply(request("GET", "https://app.example.com"), res, true);
  CHECK(res.get("Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(res.get("Vary") == "Origin");
  CHECK(res.get("Access-Control-Expose-Headers") == "X-Request-Id, Retry-After, Location");
}

TEST_CASE("a foreign origin gets no CORS grant", "[response-policy]") {
  HTTPResponse res;
  policy({"https://app.example.com"}).apply(request("GET", "https://evil.example.com"), res, true);
  CHECK_FALSE(res.has("Access-Control-Allow-Origin"));
  CHECK_FALSE(res.has("Access-Control-Expose-Headers"));
  CHECK(res.get("Vary") == "Origin"); // caches must still key on Origin
}

TEST_CASE("without configured origins no CORS header is ever sent", "[response-policy]") {
  HTTPResponse res;
  policy({}).apply(request("GET", "https://app.example.com"), res, true);
  CHECK_FALSE(res.has("Access-Control-Allow-Origin"));
  CHECK_FALSE(res.has("Vary"));
}

TEST_CASE("the wildcard allows any origin but still echoes it instead of *", "[response-policy]") {
  HTTPResponse res;
  policy({"*"}).apply(request("GET", "http://localhost:5173"), res, true);
  CHECK(res.get("Access-Control-Allow-Origin") == "http://localhost:5173");
}

TEST_CASE("configured origins are normalized: case, spaces and a trailing slash", "[response-policy]") {
  auto p = policy(ResponsePolicy::parse_origins(" https://App.Example.com/ , ,http://localhost:3000"));
  CHECK(p.origin_allowed("https://app.example.com"));
  CHECK(p.origin_allowed("http://localhost:3000"));
  CHECK_FALSE(p.origin_allowed("http://localhost:3001"));
  CHECK_FALSE(p.origin_allowed("https://app.example.com.evil.net"));
  CHECK_FALSE(p.origin_allowed(""));
}

TEST_CASE("an existing Vary header gets Origin appended once", "[response-policy]") {
  HTTPResponse res;
  res.set("Vary", "Accept");
  auto p = policy({"https://app.example.com"});
  p.apply(request("GET", "https://app.example.com"), res, true);
  p.apply(request("GET", "https://app.example.com"), res, true);
  CHECK(res.get("Vary") == "Accept, Origin");
}

TEST_CASE("a preflight is an OPTIONS request with Origin and a requested method", "[response-policy]") {
  auto p = policy({"*"});
  auto pre = request("OPTIONS", "https://app.example.com");
  CHECK_FALSE(p.is_preflight(pre));
  pre.set("Access-Control-Request-Method", "PATCH");
  CHECK(p.is_preflight(pre));
  auto get = request("GET", "https://app.example.com");
  get.set("Access-Control-Request-Method", "PATCH");
  CHECK_FALSE(p.is_preflight(get));
  auto no_origin = request("OPTIONS");
  no_origin.set("Access-Control-Request-Method", "PATCH");
  CHECK_FALSE(p.is_preflight(no_origin));
}

TEST_CASE("a preflight from an allowed origin is answered 204 with the grants", "[response-policy]") {
  auto req = request("OPTIONS", "https://app.example.com");
  req.set("Access-Control-Request-Method", "PATCH");
  req.set("Access-Control-Request-Headers", "authorization, content-type");
  HTTPResponse res;
  CHECK(policy({"https://app.example.com"}).answer_preflight(req, res, "GET, PATCH, DELETE") == 204);
  CHECK(res.getStatus() == HTTPResponse::HTTP_NO_CONTENT);
  CHECK(res.get("Access-Control-Allow-Origin") == "https://app.example.com");
  CHECK(res.get("Access-Control-Allow-Methods") == "GET, PATCH, DELETE");
  CHECK(res.get("Access-Control-Allow-Headers") == "Authorization, Content-Type, X-Request-Id");
  CHECK(res.get("Access-Control-Max-Age") == "600");
  CHECK(res.get("Vary") == "Origin");
}

TEST_CASE("a preflight from a foreign origin is refused 403 without CORS headers", "[response-policy]") {
  auto req = request("OPTIONS", "https://evil.example.com");
  req.set("Access-Control-Request-Method", "DELETE");
  HTTPResponse res;
  CHECK(policy({"https://app.example.com"}).answer_preflight(req, res, "GET, DELETE") == 403);
  CHECK(res.getStatus() == HTTPResponse::HTTP_FORBIDDEN);
  CHECK_FALSE(res.has("Access-Control-Allow-Origin"));
  CHECK_FALSE(res.has("Access-Control-Allow-Methods"));
}

TEST_CASE("a well-formed incoming request id is kept", "[response-policy]") {
  CHECK(ResponsePolicy::request_id("abc-123_X.y") == "abc-123_X.y");
  CHECK(ResponsePolicy::request_id(std::string(128, 'a')) == std::string(128, 'a'));
}

TEST_CASE("a missing, too long or unsafe request id is replaced by a fresh one", "[response-policy]") {
  for (std::string bad : {std::string(), std::string(129, 'a'), std::string("a b"), std::string("x\ny"),
                          std::string("<script>"), std::string("caf\xC3\xA9")}) {
    const std::string id = ResponsePolicy::request_id(bad);
    INFO(bad);
    CHECK(id != bad);
    CHECK(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("generated request ids do not repeat across threads", "[response-policy]") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread)
    threads.emplace_back([&ids] {
      for (int i = 0; i < 2000; ++i) ids.push_back(ResponsePolicy::request_id(""));
    });
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) all.insert(ids.begin(), ids.end());
  CHECK(all.size() == 8000);
}
