// EventStream: see the header. The rules are the HTML standard's: lines end
// with LF, CR LF or CR; "field: value" (one space after the colon dropped); a
// line starting with ':' is a comment (the server's pings); a blank line
// dispatches the event when it has data.
#include "EventStream.hpp"

namespace crmctl {

bool SseParser::feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  for (const char c : bytes) {
    const bool lf_after_cr = c == '\n' && after_cr_;
    after_cr_ = c == '\r';
    if (lf_after_cr) continue; // CR LF is one line end
    if (c != '\r' && c != '\n') {
      partial_ += c;
      continue;
    }
    std::string text;
    text.swap(partial_);
    if (!line(text, on_event)) return false;
  }
  return true;
}

bool SseParser::line(std::string_view text, const std::function<bool(const SseEvent&)>& on_event) {
  if (text.empty()) {
    if (!has_data_) {
      pending_.event.clear();
      return true;
    }
    if (pending_.event.empty()) pending_.event = "message";
    pending_.id = last_id_;
    SseEvent done = std::move(pending_);
    pending_ = SseEvent{};
    has_data_ = false;
    return on_event(done);
  }
  if (text.front() == ':') return true;
  const size_t colon = text.find(':');
  std::string_view field = text.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data += '\n';
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id" && value.find('\0') == std::string_view::npos) {
    last_id_.assign(value);
  }
  return true;
}

} // namespace crmctl
