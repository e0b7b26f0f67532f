// Authentication and roles, checked by the host before any handler runs:
// "public" needs no token, "*" any valid token, "ADMIN" that role; every kind of
// bad token is a 401; the handler sees the caller as its principal.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include <catch2/catch.hpp>

using namespace itest;

TEST_CASE("a public operation needs no token and sees an anonymous principal", "[auth]") {
  HostUnderTest host({"fixture_cpp"});
  auto r = host.http().post("/api/fixture-cpp/echo/x", "{}");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto principal = r.json()->getObject("principal");
  REQUIRE(principal);
  REQUIRE(principal->has("id"));
  CHECK(principal->isNull("id"));
  CHECK(text_of(principal, "role") == "ANONYMOUS");
}

TEST_CASE("an operation for signed-in users refuses a request without a token with 401", "[auth]") {
  HostUnderTest host({"fixture_cpp"});
  require_problem(host.http().get("/api/fixture-cpp/whoami"), 401);
  require_problem(host.http().get("/api/fixture-cpp/admin"), 401);
}

TEST_CASE("a valid token reaches the handler as its subject and role", "[auth]") {
  HostUnderTest host({"fixture_cpp"});
  for (const std::string role : {"SALES", "MANAGER", "ADMIN"}) {
    INFO(role);
    const std::string sub = random_uuid();
    auto r = host.http().get("/api/fixture-cpp/whoami", {{"Authorization", bearer(mint_token(role, sub))}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(text_of(r.json(), "id") == sub);
    CHECK(text_of(r.json(), "role") == role);
  }
  // A public operation called with a token sees that caller too.
  const std::string sub = random_uuid();
  auto echo = host.http().post("/api/fixture-cpp/echo/x", "{}", {{"Authorization", bearer(mint_token("SALES", sub))}});
  REQUIRE(echo.status == 200);
  CHECK(text_of(echo.json()->getObject("principal"), "id") == sub);
}

TEST_CASE("an ADMIN operation refuses other roles with 403 and admits ADMIN", "[auth]") {
  HostUnderTest host({"fixture_cpp"});
  for (const std::string role : {"SALES", "MANAGER"}) {
    INFO(role);
    require_problem(
        host.http().get("/api/fixture-cpp/admin", {{"Authorization", bearer(mint_token(role, random_uuid()))}}), 403);
  }
  const std::string sub = random_uuid();
  auto r = host.http().get("/api/fixture-cpp/admin", {{"Authorization", bearer(mint_token("ADMIN", sub))}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(text_of(r.json(), "id") == sub);
  CHECK(text_of(r.json(), "role") == "ADMIN");
}

TEST_CASE("tokens with a bad signature, expired, for another issuer or audience, an unknown kid or alg none are "
          "refused with 401",
          "[auth]") {
  HostUnderTest host({"fixture_cpp"});
  const std::string sub = random_uuid();

  TokenOverrides wrong_key;
  wrong_key.secret = "another-secret-another-secret-xx";
  TokenOverrides expired;
  expired.issued_ago = std::chrono::seconds(1200);
  expired.expires_in = std::chrono::seconds(-600);
  TokenOverrides other_issuer;
  other_issuer.issuer = "someone-else";
  TokenOverrides other_audience;
  other_audience.audience = "another-api";
  TokenOverrides unknown_kid;
  unknown_kid.kid = "nope";

  std::string tampered = mint_token("SALES", sub);
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';

  const std::vector<std::pair<std::string, std::string>> cases{
      {"bad signature", bearer(mint_token("ADMIN", sub, wrong_key))},
      {"tampered signature", bearer(tampered)},
      {"expired", bearer(mint_token("ADMIN", sub, expired))},
      {"wrong issuer", bearer(mint_token("ADMIN", sub, other_issuer))},
      {"wrong audience", bearer(mint_token("ADMIN", sub, other_audience))},
      {"unknown kid", bearer(mint_token("ADMIN", sub, unknown_kid))},
      {"alg none", bearer(unsigned_token("ADMIN", sub))},
      {"not a token", bearer("not.a.token")},
      {"empty bearer", "Bearer "},
      {"another scheme", "Basic YWRtaW46YWRtaW4="},
  };
  for (const auto& [what, authorization] : cases) {
    INFO(what << ": Authorization: " << authorization);
    require_problem(host.http().get("/api/fixture-cpp/whoami", {{"Authorization", authorization}}), 401);
    require_problem(host.http().get("/api/fixture-cpp/admin", {{"Authorization", authorization}}), 401);
  }
  // The same request with a good token passes, so it was the token.
  CHECK(host.http().get("/api/fixture-cpp/whoami", {{"Authorization", bearer(mint_token("SALES", sub))}}).status ==
        200);
}
