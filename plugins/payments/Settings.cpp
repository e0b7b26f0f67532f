// Settings: see the header.
#include "Settings.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace payments {

namespace {

// The whole number under `key` of `object`, from `min` to `max`, or `fallback`.
long long number(const Poco::JSON::Object::Ptr& object, const std::string& prefix, const std::string& key,
                 long long min, long long max, long long fallback) {
  if (!object || !object->has(key)) return fallback;
  const std::string text = object->get(key).toString();
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < min || n > max)
    throw std::invalid_argument("plugin.payments." + prefix + key + " must be a whole number from " +
                                std::to_string(min) + " to " + std::to_string(max) + ", not '" + text + "'");
  return n;
}

} // namespace

Settings parse_settings(std::string_view config_json) {
  Settings s;
  if (config_json.empty()) return s;
  Poco::JSON::Parser parser;
  auto config = parser.parse(std::string(config_json)).extract<Poco::JSON::Object::Ptr>();
  s.timeout = std::chrono::milliseconds(number(config, "", "timeout_ms", 1, 600000, 3000));
  const auto breaker = config->getObject("breaker");
  auto& b = s.breaker;
  b.window = static_cast<std::size_t>(number(breaker, "breaker.", "window", 1, 10000, 20));
  b.minimum_calls = static_cast<std::size_t>(number(breaker, "breaker.", "minimum_calls", 1, 10000, 10));
  if (b.minimum_calls > b.window)
    throw std::invalid_argument("plugin.payments.breaker.minimum_calls must not exceed plugin.payments.breaker.window");
  b.failure_ratio = static_cast<double>(number(breaker, "breaker.", "failure_percent", 1, 100, 50)) / 100.0;
  b.open_for = std::chrono::seconds(number(breaker, "breaker.", "open_seconds", 1, 86400, 30));
  b.half_open_calls = static_cast<std::size_t>(number(breaker, "breaker.", "half_open_calls", 1, 1000, 1));
  return s;
}

} // namespace payments
