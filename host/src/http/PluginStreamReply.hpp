// PluginStreamReply: the reply of a CRM_OP_STREAM handler (plugin_abi.h) and
// the frames of a plugin's live stream, as the host reads and writes them.
//
// A reply is {"frames":[{"id","event","data"}], "done": bool,
// "follow": {"types": [...], "subject", "cursor", "final"}}. A frame goes out
// as one WebSocket text frame {"id":..,"event":..,"data":{..}}, or as one
// Server-Sent Event "id: <id>\nevent: <event>\ndata: <json>\n\n" (the JSON on
// one line). A later event of the followed types becomes a frame whose id is
// data[cursor] and whose event is the event's type.
#pragma once

#include <Poco/JSON/Object.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crm::http {

struct StreamFollow {
  std::vector<std::string> types;
  std::string subject;
  std::string cursor;
  std::string final_member; // empty: no frame ends the stream
};

struct StreamFrame {
  std::optional<long long> id; // none: the frame has no id (not counted)
  std::string event;
  std::shared_ptr<const std::string> data; // JSON, on one line; shared by every stream it goes to
  bool final = false;                      // data[follow.final] is true: the stream ends after it
};

struct StreamReply {
  std::vector<StreamFrame> frames;
  bool done = false;
  std::optional<StreamFollow> follow; // always set unless done
};

// The handler's reply, or nullopt with `why` when it is not a stream's reply.
std::optional<StreamReply> parse_stream_reply(std::string_view json, std::string& why);

// A live event's data as a frame of a stream following `follow`; the id is
// none when data[cursor] is not an integer.
StreamFrame frame_of_event(const std::string& type, const Poco::JSON::Object::Ptr& data,
                           const std::shared_ptr<const std::string>& data_json, const StreamFollow& follow);

std::string websocket_text(const StreamFrame& frame);
std::string event_stream_text(const StreamFrame& frame);

// `input` (a JSON object's text) with "after": `after` added in front.
std::string input_after(const std::string& input, std::optional<long long> after);

// "after" as the client gave it (Last-Event-ID, or ?after=): a non-negative
// integer, or nullopt (`valid` false when given but not one).
std::optional<long long> parse_after(const std::string& text, bool& valid);

} // namespace crm::http
