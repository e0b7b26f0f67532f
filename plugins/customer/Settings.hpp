// Settings: the plugin's configuration, the host keys plugin.customer.* handed
// to init as a flat JSON object of strings ({"cache_ttl_seconds": "300"}).
#pragma once

#include <string_view>

namespace customer {

struct Settings {
  // How long GET /api/customers/{id} keeps a customer in the cache; every
  // committed change ends the cached copy anyway. 0: the host's default.
  unsigned cache_ttl_seconds = 300;
};

// Reads the JSON init receives; unknown keys are ignored. A malformed text or
// value throws std::invalid_argument naming the key: the plugin is refused
// rather than run with a setting nobody asked for.
Settings parse_settings(std::string_view config_json);

// The settings in force. Written once by init, before any handler runs, and
// only read afterwards: no lock needed.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace customer
