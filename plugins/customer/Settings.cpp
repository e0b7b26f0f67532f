// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace customer {

namespace {

Settings g_settings;

constexpr unsigned kMaxTtlSeconds = 7 * 24 * 3600;

unsigned parse_seconds(const std::string& key, const std::string& text) {
  unsigned n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n > kMaxTtlSeconds)
    throw std::invalid_argument("plugin.customer." + key + " must be a number of seconds from 0 to " +
                                std::to_string(kMaxTtlSeconds) + ", not '" + text + "'");
  return n;
}

} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  if (config->has("cache_ttl_seconds"))
    s.cache_ttl_seconds = parse_seconds("cache_ttl_seconds", config->get("cache_ttl_seconds").toString());
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace customer
