// MarketSettings: see the header.
#include "MarketSettings.hpp"

#include <Poco/JSON/Parser.h>

#include <stdexcept>
#include <string>

namespace market {

namespace {

MarketSettings current;

// A setting arrives as text from the properties or the environment.
double number(const Poco::JSON::Object::Ptr& config, const std::string& key, double min, double max, double fallback) {
  if (!config || !config->has(key)) return fallback;
  double value = 0;
  try {
    value = config->get(key).convert<double>();
  } catch (const Poco::Exception&) {
    throw std::invalid_argument("plugin.market." + key + " must be a number");
  }
  if (!(value >= min && value <= max))
    throw std::invalid_argument("plugin.market." + key + " must be from " + std::to_string(min) + " to " +
                                std::to_string(max));
  return value;
}

} // namespace

MarketSettings parse_settings(std::string_view config_json) {
  MarketSettings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  s.flag_jump_pct = number(config, "flag_jump_pct", 0.001, 1000000, s.flag_jump_pct);
  s.future_tolerance_seconds = static_cast<long long>(number(config, "future_tolerance_seconds", 0, 31536000, 60));
  return s;
}

// Written once by init before any handler runs; read-only afterwards.
const MarketSettings& settings() { return current; }
void use_settings(const MarketSettings& s) { current = s; }

} // namespace market
