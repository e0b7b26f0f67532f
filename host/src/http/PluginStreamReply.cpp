// PluginStreamReply: see the header.
#include "http/PluginStreamReply.hpp"

#include "core/JsonText.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <charconv>
#include <sstream>

namespace crm::http {

namespace {

std::optional<long long> integer_of(const Poco::Dynamic::Var& v) {
  if (v.isEmpty() || v.isString() || v.isBoolean()) return std::nullopt;
  try {
    if (v.isInteger()) return v.convert<long long>();
    const double d = v.convert<double>();
    const auto n = static_cast<long long>(d);
    if (static_cast<double>(n) == d) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

bool is_true(const Poco::JSON::Object::Ptr& data, const std::string& member) {
  if (!data || member.empty() || !data->has(member)) return false;
  const auto v = data->get(member);
  return v.isBoolean() && v.extract<bool>();
}

std::string condensed(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(v, out);
  return out.str();
}

// An SSE field value ends at a line break: one would start a field of its own.
std::string one_line(const std::string& text) {
  std::string out = text;
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

} // namespace

std::optional<StreamReply> parse_stream_reply(std::string_view json, std::string& why) {
  Poco::JSON::Object::Ptr reply;
  try {
    Poco::JSON::Parser parser;
    reply = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    why = "the reply is not a JSON object";
    return std::nullopt;
  }
  StreamReply out;
  out.done = is_true(reply, "done");
  if (!out.done) {
    auto follow = reply->getObject("follow");
    if (!follow) {
      why = "the reply has neither \"done\": true nor \"follow\"";
      return std::nullopt;
    }
    StreamFollow f;
    auto types = follow->getArray("types");
    if (types)
      for (size_t i = 0; i < types->size(); ++i)
        if (types->get(static_cast<unsigned>(i)).isString())
          f.types.push_back(types->getElement<std::string>(static_cast<unsigned>(i)));
    f.subject = follow->optValue<std::string>("subject", "");
    f.cursor = follow->optValue<std::string>("cursor", "");
    f.final_member = follow->optValue<std::string>("final", "");
    if (f.types.empty() || f.subject.empty() || f.cursor.empty()) {
      why = "\"follow\" needs \"types\" (event types), \"subject\" and \"cursor\"";
      return std::nullopt;
    }
    out.follow = std::move(f);
  }
  if (auto frames = reply->getArray("frames")) {
    for (size_t i = 0; i < frames->size(); ++i) {
      auto frame = frames->getObject(static_cast<unsigned>(i));
      if (!frame) {
        why = "frames[" + std::to_string(i) + "] is not an object";
        return std::nullopt;
      }
      StreamFrame f;
      if (frame->has("id")) {
        f.id = integer_of(frame->get("id"));
        if (!f.id) {
          why = "frames[" + std::to_string(i) + "].id is not an integer";
          return std::nullopt;
        }
      }
      f.event = one_line(frame->optValue<std::string>("event", "message"));
      auto data = frame->getObject("data");
      f.data = std::make_shared<const std::string>(frame->has("data") ? condensed(frame->get("data")) : "null");
      f.final = out.follow && is_true(data, out.follow->final_member);
      out.frames.push_back(std::move(f));
    }
  }
  return out;
}

StreamFrame frame_of_event(const std::string& type, const Poco::JSON::Object::Ptr& data,
                           const std::shared_ptr<const std::string>& data_json, const StreamFollow& follow) {
  StreamFrame f;
  f.event = type;
  f.data = data_json;
  if (data && data->has(follow.cursor)) f.id = integer_of(data->get(follow.cursor));
  f.final = is_true(data, follow.final_member);
  return f;
}

std::string websocket_text(const StreamFrame& frame) {
  std::string out = "{\"id\":";
  out += frame.id ? std::to_string(*frame.id) : "null";
  out += ",\"event\":";
  core::append_json_string(out, frame.event);
  out += ",\"data\":";
  out += *frame.data;
  out += '}';
  return out;
}

std::string event_stream_text(const StreamFrame& frame) {
  std::string out;
  if (frame.id) out += "id: " + std::to_string(*frame.id) + "\n";
  out += "event: " + frame.event + "\n";
  out += "data: " + *frame.data + "\n\n";
  return out;
}

std::string input_after(const std::string& input, std::optional<long long> after) {
  if (!after) return input;
  size_t open = input.find('{');
  if (open == std::string::npos) return input;
  size_t next = input.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = next != std::string::npos && input[next] == '}';
  return input.substr(0, open + 1) + "\"after\":" + std::to_string(*after) + (empty ? "" : ",") +
         input.substr(open + 1);
}

std::optional<long long> parse_after(const std::string& text, bool& valid) {
  valid = true;
  if (text.empty()) return std::nullopt;
  long long n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) {
    valid = false;
    return std::nullopt;
  }
  return n;
}

} // namespace crm::http
