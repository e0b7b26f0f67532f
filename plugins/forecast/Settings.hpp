// Settings: the plugin's configuration, the host keys plugin.forecast.* handed
// to init as a JSON object of strings ({"interval_seconds": "60"}).
#pragma once

#include <cstdint>
#include <string_view>

namespace forecast {

struct Settings {
  // Seconds between scheduled runs (plugin.forecast.interval_seconds).
  std::int64_t interval_seconds = 60;
  // How far ahead each forecast looks (plugin.forecast.horizon_minutes).
  std::int64_t horizon_minutes = 60;
  // The history a forecast reads, back from now (plugin.forecast.lookback_minutes).
  std::int64_t lookback_minutes = 480;
  // At most this many of the latest points are used (plugin.forecast.max_points).
  std::int64_t max_points = 500;
};

// Reads the JSON init receives; unknown keys are ignored. Throws
// std::invalid_argument naming the key for a value that is not a whole number
// in its range.
Settings parse_settings(std::string_view config_json);

// The settings in force: written once by init before any handler runs.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace forecast
