// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace auth {

namespace {

Settings g_settings;

// A positive whole number under a million, or the fallback when the key is
// absent or empty; anything else is a mistake worth refusing the plugin for.
unsigned positive(const Poco::JSON::Object& config, const std::string& key, unsigned fallback) {
  const std::string text = config.optValue<std::string>(key, "");
  if (text.empty()) return fallback;
  unsigned value = 0;
  if (!Poco::NumberParser::tryParseUnsigned(text, value) || value == 0 || value > 1000000)
    throw std::invalid_argument("plugin.auth." + key + " must be a whole number from 1 to 1000000, not \"" + text +
                                "\"");
  return value;
}

} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  s.self_register = config->optValue<std::string>("self_register", "false") == "true";
  auto& lockout = s.lockout;
  lockout.address_failures = static_cast<int>(positive(*config, "lockout_failures", lockout.address_failures));
  lockout.lock_seconds = positive(*config, "lockout_seconds", lockout.lock_seconds);
  lockout.account_failures = static_cast<int>(positive(*config, "account_lockout_failures", lockout.account_failures));
  lockout.first_hold_seconds = positive(*config, "account_hold_seconds", lockout.first_hold_seconds);
  lockout.account_window_seconds = positive(*config, "account_lockout_window_seconds", lockout.account_window_seconds);
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace auth
