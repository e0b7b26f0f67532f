// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace sales {

namespace {
Settings g_settings;
constexpr std::int64_t kMaxDurationSeconds = 366LL * 24 * 3600;
} // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
  case 's':
    unit = 1;
    break;
  case 'm':
    unit = 60;
    break;
  case 'h':
    unit = 3600;
    break;
  case 'd':
    unit = 86400;
    break;
  default:
    return std::nullopt;
  }
  const std::string_view number = text.substr(0, text.size() - 1);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (ec != std::errc() || end != number.data() + number.size() || n < 0) return std::nullopt;
  if (n > kMaxDurationSeconds / unit) return std::nullopt;
  return n * unit;
}

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  if (config->has("due_soon_window")) {
    const std::string text = config->getValue<std::string>("due_soon_window");
    const auto seconds = parse_duration(text);
    if (!seconds)
      throw std::invalid_argument("plugin.sales.due_soon_window: '" + text +
                                  "' is not a duration such as 30m, 24h or 2d");
    s.due_soon_window_seconds = *seconds;
  }
  return s;
}

const Settings& settings() { return g_settings; }
void use_settings(const Settings& s) { g_settings = s; }

} // namespace sales
