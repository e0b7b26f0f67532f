// The pure parts of following a stream: Server-Sent Events parsed from pieces
// of any size, and chunked encoding decoded as it arrives.
#include "EventStream.hpp"
#include "HttpTransport.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace crmctl;

namespace {

std::vector<SseEvent> parse_in_pieces(const std::string& text, size_t piece) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (size_t i = 0; i < text.size(); i += piece)
    parser.feed(std::string_view(text).substr(i, piece), [&](const SseEvent& e) {
      out.push_back(e);
      return true;
    });
  return out;
}

} // namespace

TEST_CASE("server-sent events come out whole whatever pieces the body arrives in", "[crmctl][sse]") {
  const std::string body = ": ping\n\nid: 3\nevent: order\ndata: {\"status\":\"PAID\"}\n\n"
                           "id: 4\r\nevent: order.status_changed\r\ndata: {\"a\":1,\r\ndata: \"b\":2}\r\n\r\n"
                           "data:no space\rdata: two\r\r";
  for (size_t piece : {1u, 2u, 7u, 1000u}) {
    auto events = parse_in_pieces(body, piece);
    REQUIRE(events.size() == 3);
    CHECK(events[0].id == "3");
    CHECK(events[0].event == "order");
    CHECK(events[0].data == "{\"status\":\"PAID\"}");
    CHECK(events[1].id == "4");
    CHECK(events[1].event == "order.status_changed");
    CHECK(events[1].data == "{\"a\":1,\n\"b\":2}");
    CHECK(events[2].event == "message");
    CHECK(events[2].id == "4"); // the last id stays until another comes
    CHECK(events[2].data == "no space\ntwo");
  }
}

TEST_CASE("an event without data is not dispatched, and returning false stops the parser", "[crmctl][sse]") {
  SseParser parser;
  int seen = 0;
  CHECK(parser.feed("event: x\n\nid: 9\ndata: a\n\ndata: b\n\n", [&](const SseEvent&) { return ++seen < 1; }) == false);
  CHECK(seen == 1);
  CHECK(parser.last_id() == "9");
}

TEST_CASE("chunked encoding is decoded as it arrives", "[crmctl][http]") {
  const std::string raw = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t piece : {1u, 3u, 1000u}) {
    http_detail::ChunkedDecoder decoder;
    std::string out;
    for (size_t i = 0; i < raw.size(); i += piece) decoder.feed(std::string_view(raw).substr(i, piece), out);
    CHECK(decoder.done());
    CHECK_FALSE(decoder.bad());
    CHECK(out == "Wikipedia in\r\n\r\nchunks.");
  }
  http_detail::ChunkedDecoder bad;
  std::string out;
  bad.feed("zz\r\n", out);
  CHECK(bad.bad());
  http_detail::ChunkedDecoder unterminated;
  unterminated.feed("3\r\nabcX\r\n", out);
  CHECK(unterminated.bad());
}
