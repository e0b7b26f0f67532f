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
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace shipping
