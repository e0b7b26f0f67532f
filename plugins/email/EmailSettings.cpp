// EmailSettings: see the header.
#include "EmailSettings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>

namespace email {

namespace {

long long whole_number(std::string_view text, const std::string& key, long long min, long long max) {
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max)
    throw std::invalid_argument("plugin.email." + key + " must be a whole number from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", not '" + std::string(text) + "'");
  return n;
}

// Reads the configuration's text values by key.
class ConfigReader {
public:
  explicit ConfigReader(std::string_view json) {
    if (json.empty()) return;
    Poco::JSON::Parser parser;
    object_ = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  }
  std::string text(const std::string& key, std::string fallback) const {
    if (!object_ || !object_->has(key) || object_->isObject(key)) return fallback;
    return object_->get(key).toString();
  }
  long long number(const std::string& key, long long min, long long max, long long fallback) const {
    const std::string t = text(key, "");
    return t.empty() ? fallback : whole_number(t, key, min, max);
  }
  bool flag(const std::string& key) const {
    const std::string t = text(key, "false");
    if (t == "true") return true;
    if (t == "false" || t.empty()) return false;
    throw std::invalid_argument("plugin.email." + key + " must be true or false, not '" + t + "'");
  }

private:
  Poco::JSON::Object::Ptr object_;
};

} // namespace

std::vector<std::chrono::milliseconds> parse_delays(std::string_view text) {
  std::vector<std::chrono::milliseconds> delays;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    delays.emplace_back(whole_number(item, "retry_delays_ms", 0, 86400000));
    start = comma + 1;
  }
  if (delays.size() > 20) throw std::invalid_argument("plugin.email.retry_delays_ms holds at most 20 delays");
  return delays;
}

std::chrono::milliseconds EmailSettings::delay_after(int attempts) const {
  if (retry_delays.empty() || attempts < 1) return std::chrono::milliseconds(0);
  const size_t i = std::min(static_cast<size_t>(attempts), retry_delays.size()) - 1;
  return retry_delays[i];
}

std::string EmailSettings::describe() const {
  return "smtp " + smtp_host + ":" + std::to_string(smtp_port) +
         (smtp_starttls ? " STARTTLS (CAs: " + (smtp_ca_path.empty() ? std::string("the system's") : smtp_ca_path) + ")"
                        : std::string()) +
         (smtp_user.empty() ? std::string(", no login")
                            : ", login " + smtp_user + " password *** (AUTH " + smtp_auth + ")") +
         ", from " + from + ", " + std::to_string(max_attempts()) + " attempts, digest from " +
         std::to_string(digest_hour_utc) + ":00 UTC";
}

EmailSettings parse_settings(std::string_view config_json) {
  const ConfigReader config(config_json);
  EmailSettings s;
  s.smtp_host = config.text("smtp_host", s.smtp_host);
  if (s.smtp_host.empty()) throw std::invalid_argument("plugin.email.smtp_host must not be empty");
  s.smtp_port = static_cast<unsigned short>(config.number("smtp_port", 1, 65535, s.smtp_port));
  s.smtp_starttls = config.flag("smtp_starttls");
  s.smtp_ca_path = config.text("smtp_ca_path", "");
  s.smtp_user = config.text("smtp_user", "");
  s.smtp_auth = config.text("smtp_auth", s.smtp_auth);
  if (s.smtp_auth != "PLAIN" && s.smtp_auth != "LOGIN")
    throw std::invalid_argument("plugin.email.smtp_auth must be PLAIN or LOGIN, not '" + s.smtp_auth + "'");
  s.smtp_password = config.text("smtp_password", "");
  s.from = config.text("smtp_from", s.from);
  if (s.from.find('@') == std::string::npos)
    throw std::invalid_argument("plugin.email.smtp_from must hold an e-mail address");
  s.timeout = std::chrono::milliseconds(config.number("smtp_timeout_ms", 100, 600000, s.timeout.count()));
  const std::string delays = config.text("retry_delays_ms", "");
  if (!delays.empty()) s.retry_delays = parse_delays(delays);
  s.digest_hour_utc = static_cast<int>(config.number("digest_hour_utc", 0, 23, s.digest_hour_utc));
  s.batch = static_cast<int>(config.number("batch", 1, 1000, s.batch));
  s.max_age_hours = static_cast<int>(config.number("max_age_hours", 0, 87600, s.max_age_hours));
  return s;
}

} // namespace email

namespace email {

namespace {
EmailSettings current_settings;
} // namespace

// Written once by init before any handler runs; read-only after.
const EmailSettings& settings() { return current_settings; }
void use_settings(EmailSettings s) { current_settings = std::move(s); }

} // namespace email
