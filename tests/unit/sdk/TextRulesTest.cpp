// Tests of crm/sdk/text_rules.hpp: the shapes plugins check text against.
#include <crm/sdk/text_rules.hpp>

#include <catch2/catch.hpp>

TEST_CASE("a UUID is 8-4-4-4-12 hexadecimal digits in either case", "[sdk][text-rules]") {
  CHECK(crm::is_uuid("0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51"));
  CHECK(crm::is_uuid("0B7E5C2A-1F3D-4C55-9A0E-2B9F8D7C6E51"));
  CHECK_FALSE(crm::is_uuid("0b7e5c2a1f3d4c559a0e2b9f8d7c6e51"));
  CHECK_FALSE(crm::is_uuid("0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e5"));
  CHECK_FALSE(crm::is_uuid("0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e5g"));
  CHECK_FALSE(crm::is_uuid("0b7e5c2a-1f3d-4c55-9a0e+2b9f8d7c6e51"));
  CHECK_FALSE(crm::is_uuid(""));
}

TEST_CASE("lower_ascii lowers ASCII letters only", "[sdk][text-rules]") {
  CHECK(crm::lower_ascii("AbC-09\xC3\x89") == "abc-09\xC3\x89");
}

TEST_CASE("a blank text holds nothing but spaces, tabs and line breaks", "[sdk][text-rules]") {
  CHECK(crm::is_blank(""));
  CHECK(crm::is_blank(" \t\r\n"));
  CHECK_FALSE(crm::is_blank(" x "));
}

TEST_CASE("lengths count characters, not UTF-8 bytes", "[sdk][text-rules]") {
  CHECK(crm::code_points("abc") == 3);
  CHECK(crm::code_points("\xC3\xA9t\xC3\xA9") == 3);          // été
  CHECK(crm::code_points("\xF0\x9F\x98\x80") == 1);            // one emoji, four bytes
}

TEST_CASE("an e-mail address has one @, a local part and a dotted domain", "[sdk][text-rules]") {
  CHECK(crm::looks_like_email("ada@example.com"));
  CHECK_FALSE(crm::looks_like_email("ada@example"));
  CHECK_FALSE(crm::looks_like_email("@example.com"));
  CHECK_FALSE(crm::looks_like_email("a@b@example.com"));
  CHECK_FALSE(crm::looks_like_email("ada lovelace@example.com"));
  CHECK_FALSE(crm::looks_like_email("ada@example."));
  CHECK_FALSE(crm::looks_like_email(std::string(250, 'a') + "@b.co"));
}

TEST_CASE("RFC 3339 date-times are taken with a fraction and an offset", "[sdk][text-rules]") {
  CHECK(crm::is_rfc3339("2026-01-31T09:30:00Z"));
  CHECK(crm::is_rfc3339("2026-01-31t09:30:00.123456789z"));
  CHECK(crm::is_rfc3339("2024-02-29T23:59:59+15:59"));
  CHECK(crm::is_rfc3339("2026-01-31T09:30:00.5-03:00"));
}

TEST_CASE("dates that do not exist and malformed times are refused", "[sdk][text-rules]") {
  CHECK_FALSE(crm::is_rfc3339("2026-02-29T00:00:00Z")); // not a leap year
  CHECK_FALSE(crm::is_rfc3339("1900-02-29T00:00:00Z")); // a century that is not
  CHECK_FALSE(crm::is_rfc3339("2026-04-31T00:00:00Z"));
  CHECK_FALSE(crm::is_rfc3339("0000-01-01T00:00:00Z"));
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T24:00:00Z"));
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:60:00Z"));
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:30:00"));          // no zone
  CHECK_FALSE(crm::is_rfc3339("2026-01-31 09:30:00Z"));         // no T
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:30:00.Z"));        // empty fraction
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:30:00.1234567890Z"));
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:30:00+16:00"));
  CHECK_FALSE(crm::is_rfc3339("2026-01-31T09:30:00+0100"));
}
