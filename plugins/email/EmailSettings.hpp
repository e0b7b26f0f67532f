// EmailSettings: the plugin's configuration (plugin.email.* in
// config/crm-host.properties), read once at init: the SMTP server and login,
// the retry delays after a failed attempt and when the daily digest goes out.
// A bad value refuses the plugin at load, with the key in the message.
//
// The password never appears in a log line or a reply; describe() shows it
// as "***" (set or not).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace email {

struct EmailSettings {
  std::string smtp_host = "127.0.0.1";
  unsigned short smtp_port = 25;
  bool smtp_starttls = false;
  // The CAs STARTTLS trusts for the server's certificate: a PEM file, or a
  // directory of them as OpenSSL's c_rehash leaves it; empty: the system's.
  // Not "_file": the host reads a key ending in _file as a secret's file.
  std::string smtp_ca_path;
  std::string smtp_user;           // empty: no AUTH
  std::string smtp_auth = "PLAIN"; // the AUTH mechanism with a user: PLAIN or LOGIN
  std::string smtp_password;       // plugin.email.smtp_password, or the file of smtp_password_file
  std::string from = "CRM <crm@localhost>";
  std::chrono::milliseconds timeout{10000};
  // The wait after the 1st, 2nd, ... failed attempt; after the last the
  // delivery is DEAD, so attempts in all = size() + 1.
  std::vector<std::chrono::milliseconds> retry_delays{std::chrono::seconds(10), std::chrono::minutes(1),
                                                      std::chrono::minutes(5), std::chrono::minutes(30),
                                                      std::chrono::hours(2)};
  int digest_hour_utc = 7; // the daily digest goes out from this hour (UTC) on
  int batch = 20;          // deliveries one run of the sender attempts at most
  int max_age_hours = 24;  // older notifications are not e-mailed (0: any age)

  // The number of attempts after which a delivery is DEAD.
  int max_attempts() const { return static_cast<int>(retry_delays.size()) + 1; }
  // The wait after `attempts` failed attempts (1-based); the last delay repeats.
  std::chrono::milliseconds delay_after(int attempts) const;
  // One line for the log, the password masked.
  std::string describe() const;
};

// From init's configuration JSON ({"smtp_host": "...", ...}); throws
// std::invalid_argument naming the key on a bad value.
EmailSettings parse_settings(std::string_view config_json);

// "1000,5000,30000" -> delays; throws std::invalid_argument on anything else.
std::vector<std::chrono::milliseconds> parse_delays(std::string_view text);

} // namespace email
