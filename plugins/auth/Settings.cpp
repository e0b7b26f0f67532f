// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <string>

namespace auth {

namespace {
Settings g_settings;
} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  s.self_register = config->optValue<std::string>("self_register", "false") == "true";
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace auth
