// JsonFormatter: turns a Poco::Message into one JSON object (one log line):
// {"time":"2026-11-23T09:18:12.123Z","level":"info","logger":"invoker",
//  "message":"...","request_id":"...",...}
//
// Extra fields come from the message's custom parameters. Poco 1.11 cannot
// list a message's parameters, so the formatter looks for the names listed in
// the parameter "@fields" (comma-separated; crm::log's helpers set it), or,
// for messages built elsewhere, for a fixed set of well-known names.
#pragma once

#include <Poco/Formatter.h>
#include <Poco/Message.h>

#include <string>
#include <string_view>

namespace crm::log {

class JsonFormatter : public Poco::Formatter {
public:
  // The parameter naming a message's extra fields.
  static const std::string kFieldsParam; // "@fields"

  // Appends the JSON object (no newline) to `text`. Safe to call from many
  // threads at once: the formatter holds no mutable state.
  void format(const Poco::Message& message, std::string& text) override;

  // "debug", "info", "warn", "error" or "fatal" for a Poco priority.
  static std::string_view level_name(int priority);
};

} // namespace crm::log
