// Tests of http/PluginStreamReply: reading a CRM_OP_STREAM handler's reply
// and writing its frames as WebSocket text and as Server-Sent Events.
#include "http/PluginStreamReply.hpp"

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

using namespace crm::http;

TEST_CASE("a stream reply gives its frames, done and what to follow", "[plugin-streams]") {
  std::string why;
  auto reply = parse_stream_reply(
      R"({"frames":[{"id":3,"event":"feed.state","data":{"seq":3,"final":false,"text":"a\nb"}},
                    {"id":4,"event":"feed.entry_added","data":{"seq":4,"final":true}}],
          "done":false,
          "follow":{"types":["feed.entry_added"],"subject":"f1","cursor":"seq","final":"final"}})",
      why);
  REQUIRE(reply);
  CHECK_FALSE(reply->done);
  REQUIRE(reply->follow);
  CHECK(reply->follow->types == std::vector<std::string>{"feed.entry_added"});
  CHECK(reply->follow->subject == "f1");
  REQUIRE(reply->frames.size() == 2);
  CHECK(*reply->frames[0].id == 3);
  CHECK_FALSE(reply->frames[0].final);
  CHECK(reply->frames[1].final);
  // The data on one line (members in Poco's order): a line break inside a
  // string stays escaped.
  CHECK(event_stream_text(reply->frames[0]) ==
        "id: 3\nevent: feed.state\ndata: {\"final\":false,\"seq\":3,\"text\":\"a\\nb\"}\n\n");
  CHECK(websocket_text(reply->frames[1]) == R"({"id":4,"event":"feed.entry_added","data":{"final":true,"seq":4}})");
}

TEST_CASE("a reply that is no stream's is refused with the reason", "[plugin-streams]") {
  std::string why;
  CHECK_FALSE(parse_stream_reply("[]", why));
  CHECK_FALSE(parse_stream_reply(R"({"frames":[]})", why));
  CHECK(why.find("follow") != std::string::npos);
  CHECK_FALSE(parse_stream_reply(R"({"follow":{"types":[],"subject":"s","cursor":"seq"}})", why));
  CHECK_FALSE(parse_stream_reply(R"({"done":true,"frames":[{"id":"x"}]})", why));
  CHECK(why == "frames[0].id is not an integer");
  CHECK(parse_stream_reply(R"({"done":true})", why));
}

TEST_CASE("an event's frame takes its id from the cursor member", "[plugin-streams]") {
  StreamFollow follow{{"order.status_changed"}, "o1", "seq", "final"};
  auto data = Poco::JSON::Parser().parse(R"({"seq":7,"final":true})").extract<Poco::JSON::Object::Ptr>();
  auto json = std::make_shared<const std::string>(R"({"seq":7,"final":true})");
  auto frame = frame_of_event("order.status_changed", data, json, follow);
  CHECK(*frame.id == 7);
  CHECK(frame.final);
  CHECK(frame.event == "order.status_changed");
  auto no_id = Poco::JSON::Parser().parse(R"({"seq":"7"})").extract<Poco::JSON::Object::Ptr>();
  CHECK_FALSE(frame_of_event("t", no_id, json, follow).id);
}

TEST_CASE("after is added to the input, and read from the client as an integer", "[plugin-streams]") {
  CHECK(input_after("{}", 5) == R"({"after":5})");
  CHECK(input_after(R"({"id":"f1"})", 5) == R"({"after":5,"id":"f1"})");
  CHECK(input_after(R"({"id":"f1"})", std::nullopt) == R"({"id":"f1"})");
  bool valid = false;
  CHECK(parse_after("12", valid) == 12);
  CHECK(valid);
  CHECK_FALSE(parse_after("", valid));
  CHECK(valid);
  CHECK_FALSE(parse_after("-1", valid));
  CHECK_FALSE(valid);
  CHECK_FALSE(parse_after("3x", valid));
  CHECK_FALSE(valid);
}
