// MarketSettings: the plugin's configuration, plugin.market.*, read once by
// init before any handler runs and read-only after.
#pragma once

#include <string_view>

namespace market {

struct MarketSettings {
  // A point whose price moves more than this percentage from the symbol's
  // previous price is stored flagged (plugin.market.flag_jump_pct).
  double flag_jump_pct = 20;
  // How far in the future a point may be, in seconds
  // (plugin.market.future_tolerance_seconds).
  long long future_tolerance_seconds = 60;
};

// Throws std::invalid_argument on a value out of range.
MarketSettings parse_settings(std::string_view config_json);

const MarketSettings& settings();
void use_settings(const MarketSettings& s);

} // namespace market
