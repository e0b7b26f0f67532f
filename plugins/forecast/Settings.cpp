// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace forecast {

namespace {

Settings g_settings;

void read_whole(const Poco::JSON::Object::Ptr& config, const std::string& key, std::int64_t min, std::int64_t max,
                std::int64_t& out) {
  if (!config->has(key)) return;
  const std::string text = config->get(key).toString();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < min || n > max)
    throw std::invalid_argument("plugin.forecast." + key + ": '" + text + "' is not a whole number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  out = n;
}

} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  auto config = Poco::JSON::Parser().parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  read_whole(config, "interval_seconds", 1, 86400, s.interval_seconds);
  read_whole(config, "horizon_minutes", 1, 7 * 24 * 60, s.horizon_minutes);
  read_whole(config, "lookback_minutes", 1, 366 * 24 * 60, s.lookback_minutes);
  read_whole(config, "max_points", 10, 100000, s.max_points);
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace forecast
