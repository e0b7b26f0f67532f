// JsonFormatter: see the header.
#include "log/JsonFormatter.hpp"

#include "log/JsonEscape.hpp"

#include <Poco/Timestamp.h>

#include <array>
#include <ctime>
#include <vector>

namespace crm::log {

const std::string JsonFormatter::kFieldsParam = "@fields";

namespace {

// Looked up when a message does not say which fields it carries.
const std::vector<std::string>& well_known_fields() {
  static const std::vector<std::string> kFields = {
      "request_id", "trace_id", "plugin",    "operation", "event_id", "instance_id", "workflow",
      "user_id",    "client_ip", "method",   "path",      "status",   "duration_ms", "error"};
  return kFields;
}

// Names the formatter writes itself; a parameter of the same name is skipped so
// a line never holds a key twice.
bool is_reserved(std::string_view name) {
  return name == "time" || name == "level" || name == "logger" || name == "message";
}

void append_two(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// RFC 3339 UTC with milliseconds. The date and time up to the second are
// formatted once per second per thread.
void append_time(std::string& out, const Poco::Timestamp& ts) {
  const Poco::Timestamp::TimeVal micros = ts.epochMicroseconds();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  int millis = static_cast<int>((micros % 1000000) / 1000);
  if (millis < 0) { // before 1970: keep the remainder positive
    millis += 1000;
    --seconds;
  }
  thread_local std::time_t cached_second = -1;
  thread_local std::array<char, 20> cached{}; // "YYYY-MM-DDTHH:MM:SS"
  if (seconds != cached_second) {
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::string s;
    s.reserve(20);
    const int year = tm.tm_year + 1900;
    append_two(s, year / 100 % 100);
    append_two(s, year % 100);
    s.push_back('-');
    append_two(s, tm.tm_mon + 1);
    s.push_back('-');
    append_two(s, tm.tm_mday);
    s.push_back('T');
    append_two(s, tm.tm_hour);
    s.push_back(':');
    append_two(s, tm.tm_min);
    s.push_back(':');
    append_two(s, tm.tm_sec);
    s.copy(cached.data(), 19);
    cached_second = seconds;
  }
  out.append(cached.data(), 19);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + millis / 100));
  append_two(out, millis % 100);
  out.push_back('Z');
}

void append_field(std::string& out, const Poco::Message& message, const std::string& name) {
  if (is_reserved(name) || !message.has(name)) return;
  out.push_back(',');
  append_json_quoted(out, name);
  out.push_back(':');
  append_json_quoted(out, message.get(name));
}

} // namespace

std::string_view JsonFormatter::level_name(int priority) {
  switch (priority) {
  case Poco::Message::PRIO_FATAL:
  case Poco::Message::PRIO_CRITICAL: return "fatal";
  case Poco::Message::PRIO_ERROR: return "error";
  case Poco::Message::PRIO_WARNING: return "warn";
  case Poco::Message::PRIO_NOTICE:
  case Poco::Message::PRIO_INFORMATION: return "info";
  default: return "debug"; // PRIO_DEBUG, PRIO_TRACE
  }
}

void JsonFormatter::format(const Poco::Message& message, std::string& text) {
  text.reserve(text.size() + 96 + message.getText().size());
  text += R"({"time":")";
  append_time(text, message.getTime());
  text += R"(","level":")";
  text += level_name(message.getPriority());
  text += R"(","logger":)";
  append_json_quoted(text, message.getSource());
  text += R"(,"message":)";
  append_json_quoted(text, message.getText());

  if (message.has(kFieldsParam)) {
    const std::string& list = message.get(kFieldsParam);
    std::string name;
    std::size_t pos = 0;
    while (pos < list.size()) {
      std::size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      name.assign(list, pos, comma - pos);
      if (!name.empty()) append_field(text, message, name);
      pos = comma + 1;
    }
  } else {
    for (const auto& name : well_known_fields()) append_field(text, message, name);
  }
  text.push_back('}');
}

} // namespace crm::log
