// Settings: the plugin's configuration, the host keys plugin.auth.* handed to
// init as a flat JSON object of strings ({"self_register": "true"}).
#pragma once

#include <string_view>

namespace auth {

struct Settings {
  // Anyone may register as SALES without a token (plugin.auth.self_register).
  bool self_register = false;
};

// Reads the JSON init receives; unknown keys are ignored, a malformed text throws.
Settings parse_settings(std::string_view config_json);

// The settings in force. Written once by init, before any handler runs, and
// only read afterwards: no lock needed.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace auth
