// Settings: the plugin's configuration, the host keys plugin.payments.*
// handed to init as JSON ({"timeout_ms": "3000", "breaker": {"window":
// "20", ...}}); documented in config/crm-host.properties.
#pragma once

#include "CircuitBreaker.hpp"

#include <chrono>
#include <string_view>

namespace payments {

struct Settings {
  // How long a call to the provider may take before it counts as unanswered.
  std::chrono::milliseconds timeout = std::chrono::milliseconds(3000);
  CircuitBreaker::Settings breaker;
};

// Reads the JSON init receives; unknown keys are ignored. A malformed value
// throws std::invalid_argument naming the key: the plugin is refused rather
// than run with a setting nobody asked for.
Settings parse_settings(std::string_view config_json);

} // namespace payments
