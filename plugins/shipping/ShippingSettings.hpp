// ShippingSettings: the plugin's configuration, the host keys
// plugin.shipping.* handed to init as a JSON object ({"carrier": "..."}).
#pragma once

#include <string>
#include <string_view>

namespace shipping {

struct Settings {
  // The carrier every shipment goes with (plugin.shipping.carrier).
  std::string carrier = "LocalPost";
  // How long the carrier takes to book a shipment, milliseconds
  // (plugin.shipping.booking_delay_ms): the simulated carrier answers at
  // once unless told otherwise; a slow one shows the saga's parallel branch
  // and a cancellation while it books.
  int booking_delay_ms = 0;
};

// Reads the JSON init receives; unknown keys are ignored. Throws
// std::invalid_argument with a readable reason for a bad value.
Settings parse_settings(std::string_view config_json);

// The settings in force: written once by init, before any handler runs.
const Settings& settings();
void use_settings(const Settings& s);

} // namespace shipping
