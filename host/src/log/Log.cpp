// Log: see the header.
#include "log/Log.hpp"

#include "log/JsonFormatter.hpp"
#include "log/LineChannel.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <stdexcept>
#include <unistd.h>
#include <unordered_map>

namespace crm::log {

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Poco::Logger::get() takes a global mutex; each thread remembers the loggers
// it used instead. Loggers are never destroyed while the host runs (the
// AutoPtr keeps ours alive regardless).
Poco::Logger& logger_for(std::string_view name) {
  thread_local std::unordered_map<std::string, Poco::AutoPtr<Poco::Logger>, StringHash, std::equal_to<>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return *it->second;
  Poco::Logger& logger = Poco::Logger::get(std::string(name));
  cache.emplace(std::string(name), Poco::AutoPtr<Poco::Logger>(&logger, true));
  return logger;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

void log_at(int priority, std::string_view logger_name, std::string_view text, Fields fields) noexcept {
  try {
    Poco::Logger& logger = logger_for(logger_name);
    if (!logger.is(priority)) return;
    Poco::Message message(std::string(logger_name), std::string(text), static_cast<Poco::Message::Priority>(priority));
    std::string names;
    for (const auto& [name, value] : fields) {
      if (value.empty()) continue;
      message.set(name, std::string(value));
      if (!names.empty()) names.push_back(',');
      names += name;
    }
    message.set(JsonFormatter::kFieldsParam, names);
    logger.log(message);
  } catch (...) {
    // Logging must never take a request down with it.
  }
}

} // namespace

int priority_of(std::string_view level) {
  struct Level {
    std::string_view name;
    int priority;
  };
  static constexpr Level kLevels[] = {{"trace", Poco::Message::PRIO_TRACE},   {"debug", Poco::Message::PRIO_DEBUG},
                                      {"info", Poco::Message::PRIO_INFORMATION}, {"warn", Poco::Message::PRIO_WARNING},
                                      {"warning", Poco::Message::PRIO_WARNING}, {"error", Poco::Message::PRIO_ERROR},
                                      {"fatal", Poco::Message::PRIO_FATAL},     {"off", 0}};
  for (const auto& l : kLevels)
    if (iequals(level, l.name)) return l.priority;
  throw std::invalid_argument("unknown log level '" + std::string(level) +
                              "' (trace, debug, info, warn, error, fatal, off)");
}

void setup(const std::string& level) {
  const int priority = priority_of(level);
  Poco::AutoPtr<Poco::Formatter> formatter(new JsonFormatter);
  Poco::AutoPtr<Poco::Channel> channel(new LineChannel(formatter, STDERR_FILENO));
  // "" names every logger, existing or future (new loggers copy the root's).
  Poco::Logger::setChannel("", channel);
  Poco::Logger::setLevel("", priority);
}

bool enabled(std::string_view logger, int priority) { return logger_for(logger).is(priority); }

void write(std::string_view level, std::string_view logger, std::string_view message, Fields fields) {
  int priority = Poco::Message::PRIO_INFORMATION;
  if (level == "debug") priority = Poco::Message::PRIO_DEBUG;
  else if (level == "warn") priority = Poco::Message::PRIO_WARNING;
  else if (level == "error") priority = Poco::Message::PRIO_ERROR;
  else if (level == "fatal") priority = Poco::Message::PRIO_FATAL;
  log_at(priority, logger, message, fields);
}

void debug(std::string_view logger, std::string_view message, Fields fields) {
  log_at(Poco::Message::PRIO_DEBUG, logger, message, fields);
}
void info(std::string_view logger, std::string_view message, Fields fields) {
  log_at(Poco::Message::PRIO_INFORMATION, logger, message, fields);
}
void warn(std::string_view logger, std::string_view message, Fields fields) {
  log_at(Poco::Message::PRIO_WARNING, logger, message, fields);
}
void error(std::string_view logger, std::string_view message, Fields fields) {
  log_at(Poco::Message::PRIO_ERROR, logger, message, fields);
}

} // namespace crm::log
