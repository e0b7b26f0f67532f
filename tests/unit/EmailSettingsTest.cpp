// The email plugin's settings (plugins/email/EmailSettings.cpp): defaults,
// the retry schedule and refusals of bad values.
#include "email/EmailSettings.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace std::chrono_literals;

TEST_CASE("without configuration the plugin writes to 127.0.0.1:25 and retries five times", "[email][unit]") {
  const auto s = email::parse_settings("");
  CHECK(s.smtp_host == "127.0.0.1");
  CHECK(s.smtp_port == 25);
  CHECK_FALSE(s.smtp_starttls);
  CHECK(s.max_attempts() == 6);
  CHECK(s.digest_hour_utc == 7);
}

TEST_CASE("the wait after each failed attempt follows retry_delays_ms, the last one repeating", "[email][unit]") {
  const auto s = email::parse_settings(R"({"retry_delays_ms":"100, 2000,30000"})");
  CHECK(s.max_attempts() == 4);
  CHECK(s.delay_after(1) == 100ms);
  CHECK(s.delay_after(2) == 2000ms);
  CHECK(s.delay_after(3) == 30000ms);
  CHECK(s.delay_after(9) == 30000ms);
}

TEST_CASE("bad settings are refused with the key in the message", "[email][unit]") {
  CHECK_THROWS_WITH(email::parse_settings(R"({"smtp_port":"0"})"), Catch::Contains("plugin.email.smtp_port"));
  CHECK_THROWS_WITH(email::parse_settings(R"({"retry_delays_ms":"1,x"})"),
                    Catch::Contains("plugin.email.retry_delays_ms"));
  CHECK_THROWS_WITH(email::parse_settings(R"({"smtp_starttls":"yes"})"), Catch::Contains("plugin.email.smtp_starttls"));
  CHECK_THROWS_WITH(email::parse_settings(R"({"digest_hour_utc":"24"})"),
                    Catch::Contains("plugin.email.digest_hour_utc"));
  CHECK_THROWS_WITH(email::parse_settings(R"({"smtp_from":"nobody"})"), Catch::Contains("plugin.email.smtp_from"));
  CHECK_THROWS_WITH(email::parse_settings(R"({"smtp_auth":"CRAM-MD5"})"), Catch::Contains("plugin.email.smtp_auth"));
}

TEST_CASE("the description of the settings never shows the password", "[email][unit]") {
  const auto s = email::parse_settings(R"({"smtp_user":"mailer","smtp_password":"s3cret-pw"})");
  CHECK(s.smtp_password == "s3cret-pw");
  CHECK(s.describe().find("s3cret-pw") == std::string::npos);
  CHECK(s.describe().find("***") != std::string::npos);
}
