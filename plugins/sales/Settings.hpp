// Settings: the plugin's configuration, the host keys plugin.sales.* handed to
// init as a flat JSON object of strings ({"due_soon_window": "24h"}).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sales {

struct Settings {
  // OPEN tasks due within this many seconds from now raise task.due_soon
  // (plugin.sales.due_soon_window, "30m", "24h", "2d"; default 24h).
  std::int64_t due_soon_window_seconds = 24 * 3600;
};

// "90s", "30m", "24h", "2d" as seconds; nullopt for anything else (no sign,
// no fraction, no empty number, at most 366 days).
std::optional<std::int64_t> parse_duration(std::string_view text);

// Reads the JSON init receives; unknown keys are ignored. Throws
// std::invalid_argument with a readable reason for a bad value.
Settings parse_settings(std::string_view config_json);

// The settings in force. Written once by init, before any handler runs, and
// only read afterwards: no lock needed.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace sales
