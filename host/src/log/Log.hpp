// Log: the host's logging front door. setup() sends every Poco logger to
// standard error as JSON lines (JsonFormatter + LineChannel); the helpers log
// one message with structured fields and cost one level check when the level
// is off.
//
//   crm::log::info("invoker", "committed", {{"operation", op}, {"request_id", id}});
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace crm::log {

// Extra fields of one line. Empty values are left out of the line.
using Fields = std::initializer_list<std::pair<const char*, std::string_view>>;

// Installs the JSON line channel on all loggers, at `level` (debug, info, warn,
// error, fatal; also trace, warning, off). Unknown level: std::invalid_argument.
void setup(const std::string& level);

// The Poco priority for a level name; std::invalid_argument when unknown.
int priority_of(std::string_view level);

// Whether `logger` would write a message of `priority`: to skip building an
// expensive message.
bool enabled(std::string_view logger, int priority);

// Logs at the named level ("debug", "info", "warn", "error", "fatal"; anything
// else counts as "info"). Never throws.
void write(std::string_view level, std::string_view logger, std::string_view message, Fields fields = {});

void debug(std::string_view logger, std::string_view message, Fields fields = {});
void info(std::string_view logger, std::string_view message, Fields fields = {});
void warn(std::string_view logger, std::string_view message, Fields fields = {});
void error(std::string_view logger, std::string_view message, Fields fields = {});

} // namespace crm::log
