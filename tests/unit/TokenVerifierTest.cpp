// TokenVerifier: what makes an access token acceptable.
#include "security/TokenVerifier.hpp"

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <catch2/catch.hpp>

#include <ctime>

using namespace crm::security;

namespace {
const std::string kSecret = "0123456789abcdef0123456789abcdef";

TokenConfig config() {
  TokenConfig c;
  c.keys = {{"old", "ffffffffffffffffffffffffffffffff"}, {"k1", kSecret}};
  return c;
}

std::string token(const std::string& kid, const std::string& secret, long exp_offset, const std::string& iss = "crm-host",
                  const std::string& aud = "crm-api", const std::string& role = "ADMIN") {
  Poco::JWT::Token t;
  t.setType("JWT");
  t.header().set("kid", kid);
  t.setSubject("user-1");
  t.setIssuer(iss);
  t.setAudience(aud);
  t.payload().set("role", role);
  t.payload().set("exp", static_cast<Poco::Int64>(std::time(nullptr) + exp_offset));
  t.setId("jti-1");
  Poco::JWT::Signer s(secret);
  return s.sign(t, Poco::JWT::Signer::ALGO_HS256);
}
} // namespace

TEST_CASE("a token signed with a configured key is accepted and yields the principal") {
  TokenVerifier v(config());
  auto p = v.verify(token("k1", kSecret, 300));
  REQUIRE(p);
  CHECK(p->id == "user-1");
  CHECK(p->role == "ADMIN");
  CHECK(p->jti == "jti-1");
  const auto now = static_cast<long long>(std::time(nullptr));
  CHECK(p->expires_at >= now + 290);
  CHECK(p->expires_at <= now + 310);
  CHECK(p->json == R"({"id":"user-1","role":"ADMIN","jti":"jti-1","exp":)" + std::to_string(p->expires_at) + "}");
}

TEST_CASE("an older key still verifies after rotation, and new tokens use the newest") {
  TokenVerifier v(config());
  CHECK(v.verify(token("old", "ffffffffffffffffffffffffffffffff", 300)));
  std::string fresh = v.sign("u2", "SALES", 60, "j");
  CHECK(Poco::JWT::Token(fresh).header().getValue<std::string>("kid") == "k1");
  CHECK(v.verify(fresh)->role == "SALES");
}

TEST_CASE("expired, foreign, tampered and unknown-key tokens are refused") {
  TokenVerifier v(config());
  CHECK_FALSE(v.verify(token("k1", kSecret, -120)));
  CHECK_FALSE(v.verify(token("k1", kSecret, 300, "someone-else")));
  CHECK_FALSE(v.verify(token("k1", kSecret, 300, "crm-host", "other-api")));
  CHECK_FALSE(v.verify(token("k1", kSecret, 300, "crm-host", "crm-api", "ROOT")));
  CHECK_FALSE(v.verify(token("nope", kSecret, 300)));
  CHECK_FALSE(v.verify(token("k1", "an attacker's secret of enough length", 300)));
  std::string t = token("k1", kSecret, 300);
  t[t.size() - 3] = t[t.size() - 3] == 'A' ? 'B' : 'A';
  CHECK_FALSE(v.verify(t));
  CHECK_FALSE(v.verify("not a token"));
  CHECK_FALSE(v.verify(""));
}

TEST_CASE("alg none is refused") {
  TokenVerifier v(config());
  // {"alg":"none","kid":"k1","typ":"JWT"} . {"sub":"user-1","role":"ADMIN","iss":"crm-host","aud":"crm-api","exp":9999999999}
  std::string none = "eyJhbGciOiJub25lIiwia2lkIjoiazEiLCJ0eXAiOiJKV1QifQ."
                     "eyJzdWIiOiJ1c2VyLTEiLCJyb2xlIjoiQURNSU4iLCJpc3MiOiJjcm0taG9zdCIsImF1ZCI6ImNybS1hcGkiLCJleHAiOjk5OTk5OTk5OTl9.";
  CHECK_FALSE(v.verify(none));
}

TEST_CASE("a revoked jti is refused") {
  TokenVerifier v(config());
  v.set_revocation_check([](const std::string& jti) { return jti == "jti-1"; });
  CHECK_FALSE(v.verify(token("k1", kSecret, 300)));
}

TEST_CASE("keys parse as kid:secret pairs and short secrets are refused") {
  auto keys = TokenVerifier::parse_keys(" a:" + kSecret + " , b:" + kSecret + "\n");
  REQUIRE(keys.size() == 2);
  CHECK(keys[1].first == "b");
  CHECK(TokenVerifier::parse_keys("").size() == 1);
  TokenConfig c;
  c.keys = {{"k", "short"}};
  CHECK_THROWS(TokenVerifier(c));
}
