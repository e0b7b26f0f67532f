// EventStream: Server-Sent Events read as they arrive (text/event-stream).
// The parser is pure, so it is tested without a server: feed it the body in
// pieces of any size and it hands over each complete event.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace crmctl {

struct SseEvent {
  std::string id;    // the event's id, or the last one seen before it
  std::string event; // "message" when the server names none
  std::string data;  // its data lines joined with "\n"
};

class SseParser {
public:
  // Feeds the next bytes; calls `on_event` for each event they complete and
  // stops early (returning false) when it returns false.
  bool feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);

  // The id of the last event dispatched (for Last-Event-ID).
  const std::string& last_id() const { return last_id_; }

private:
  bool line(std::string_view text, const std::function<bool(const SseEvent&)>& on_event);

  std::string partial_; // an unfinished line
  std::string last_id_;
  SseEvent pending_;
  bool has_data_ = false;
  bool after_cr_ = false; // the last byte was a CR: an LF next ends no line
};

} // namespace crmctl
