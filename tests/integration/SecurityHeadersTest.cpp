// Response headers every client relies on: request ids, security headers on
// every response, and CORS for the configured origins only.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace itest;

namespace {

void require_security_headers(const std::string& what, const Response& r) {
  INFO(what << " -> " << r.status << " " << r.content_type());
  CHECK_FALSE(r.header("X-Request-Id").value_or("").empty());
  CHECK(r.header("X-Content-Type-Options") == std::optional<std::string>("nosniff"));
  CHECK(r.header("X-Frame-Options") == std::optional<std::string>("DENY"));
  CHECK(r.header("Referrer-Policy") == std::optional<std::string>("no-referrer"));
  if (contains(lower(r.content_type()), "json")) {
    CHECK(contains(r.header("Content-Security-Policy").value_or(""), "default-src 'none'"));
  }
}

} // namespace

TEST_CASE("every response carries a request id and the security headers", "[http][security]") {
  HostUnderTest host({"fixture_c", "fixture_cpp"});
  auto& http = host.http();
  std::set<std::string> ids;

  auto item = create_item(http, "headers");
  const std::vector<std::pair<std::string, Response>> responses{
      {"GET /health/live", http.get("/health/live")},
      {"GET /health/ready", http.get("/health/ready")},
      {"GET /metrics", http.get("/metrics")},
      {"POST item (201)", http.post("/api/fixture-c/items", R"({"name":"h"})")},
      {"GET item (200)", http.get("/api/fixture-c/items/" + text_of(item, "id"))},
      {"GET unknown item (404)", http.get("/api/fixture-c/items/" + random_uuid())},
      {"GET unknown path (404)", http.get("/api/nowhere")},
      {"DELETE items (405)", http.request("DELETE", "/api/fixture-c/items")},
      {"POST bad JSON (400)", http.post("/api/fixture-c/items", "{")},
      {"POST invalid (422)", http.post("/api/fixture-c/items", "{}")},
      {"GET whoami without token (401)", http.get("/api/fixture-cpp/whoami")},
      {"GET admin as SALES (403)",
       http.get("/api/fixture-cpp/admin", {{"Authorization", bearer(mint_token("SALES", random_uuid()))}})},
  };
  for (const auto& [what, r] : responses) {
    require_security_headers(what, r);
    ids.insert(r.header("X-Request-Id").value_or(""));
  }
  // Generated ids are unique per request.
  CHECK(ids.size() == responses.size());
}

TEST_CASE("a sane incoming request id is echoed and an unsafe one replaced", "[http][security]") {
  HostUnderTest host({"fixture_c"});
  auto& http = host.http();

  auto echoed = http.get("/health/live", {{"X-Request-Id", "abc-123"}});
  CHECK(echoed.header("X-Request-Id") == std::optional<std::string>("abc-123"));
  auto echoed_api = http.get("/api/fixture-c/items", {{"X-Request-Id", "abc-123"}});
  CHECK(echoed_api.header("X-Request-Id") == std::optional<std::string>("abc-123"));

  for (const std::string& bad : {std::string("<script>alert(1)</script>"), std::string(500, 'a'),
                                std::string("a b\"c;d")}) {
    INFO("incoming id: " << bad);
    auto r = http.get("/health/live", {{"X-Request-Id", bad}});
    const std::string id = r.header("X-Request-Id").value_or("");
    CHECK_FALSE(id.empty());
    CHECK(id != bad);
  }
}

TEST_CASE("CORS answers the allowed origin and ignores others", "[http][security][cors]") {
  HostUnderTest host({"fixture_c"}, {{"CRM_HTTP_CORS_ALLOWED_ORIGINS", "https://app.example.com"}});
  auto& http = host.http();

  auto allowed = http.get("/api/fixture-c/items", {{"Origin", "https://app.example.com"}});
  REQUIRE(allowed.status == 200);
  CHECK(allowed.header("Access-Control-Allow-Origin") == std::optional<std::string>("https://app.example.com"));

  auto other = http.get("/api/fixture-c/items", {{"Origin", "https://evil.example.com"}});
  CHECK_FALSE(other.has_header("Access-Control-Allow-Origin"));

  auto none = http.get("/api/fixture-c/items");
  CHECK_FALSE(none.has_header("Access-Control-Allow-Origin"));
}

TEST_CASE("a CORS preflight is 204 for the allowed origin and 403 for another", "[http][security][cors]") {
  HostUnderTest host({"fixture_c"}, {{"CRM_HTTP_CORS_ALLOWED_ORIGINS", "https://app.example.com"}});
  auto& http = host.http();
  const auto counts_before = host.sql().count("select count(*) from fixture_c.items");

  auto ok = http.request("OPTIONS", "/api/fixture-c/items", "",
                         {{"Origin", "https://app.example.com"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "content-type, authorization"}});
  INFO(ok.status << " " << ok.body);
  CHECK(ok.status == 204);
  CHECK(ok.header("Access-Control-Allow-Origin") == std::optional<std::string>("https://app.example.com"));
  CHECK(contains(ok.header("Access-Control-Allow-Methods").value_or(""), "POST"));
  CHECK(ok.body.empty());

  auto refused = http.request("OPTIONS", "/api/fixture-c/items", "",
                              {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
  INFO(refused.status << " " << refused.body);
  CHECK(refused.status == 403);
  CHECK_FALSE(refused.has_header("Access-Control-Allow-Origin"));

  CHECK(host.sql().count("select count(*) from fixture_c.items") == counts_before);
}
