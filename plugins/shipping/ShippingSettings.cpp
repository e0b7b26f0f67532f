// ShippingSettings: see the header.
#include "ShippingSettings.hpp"

#include <crm/sdk/text_rules.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <stdexcept>
#include <string>

namespace shipping {

namespace {
Settings g_settings;
constexpr size_t kMaxCarrier = 64;
constexpr int kMaxBookingDelayMs = 60000;
} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  if (config->has("carrier")) {
    const std::string carrier = config->getValue<std::string>("carrier");
    if (crm::is_blank(carrier) || crm::code_points(carrier) > kMaxCarrier)
      throw std::invalid_argument("plugin.shipping.carrier: must be 1 to 64 characters, not blank");
    s.carrier = carrier;
  }
  if (config->has("booking_delay_ms")) {
    // Configuration values arrive as text; empty means the default.
    const std::string text = config->getValue<std::string>("booking_delay_ms");
    if (!text.empty()) {
      size_t used = 0;
      int ms = -1;
      try {
        ms = std::stoi(text, &used);
      } catch (const std::exception&) {
      }
      if (used != text.size() || ms < 0 || ms > kMaxBookingDelayMs)
        throw std::invalid_argument("plugin.shipping.booking_delay_ms: must be an integer from 0 to 60000");
      s.booking_delay_ms = ms;
    }
  }
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace shipping
