// Plugin live streams (CRM_OP_STREAM) and the "health" service, through
// fixture_feed: a feed's stream, as a WebSocket and as Server-Sent Events,
// sends the feed's state, then each entry appended on any host, in order and
// without gaps, and ends after the final entry; it opens for no one who may not
// see the feed; a client resumes with Last-Event-ID, also across a restart of
// its host. A plugin's health component shows in /health/ready, its gauges and
// counters on /metrics.
#include "support/Checks.hpp"
#include "support/EventStreamClient.hpp"
#include "support/HostUnderTest.hpp"
#include "support/StreamClient.hpp"

#include <catch2/catch.hpp>

using namespace itest;
using namespace std::chrono_literals;

namespace {

struct Feed {
  std::string id;
  std::string owner;
  std::string token; // its owner's
};

Feed create_feed(Http& http, const std::string& name = "news") {
  const std::string owner = random_uuid();
  Feed feed{"", owner, mint_token("SALES", owner)};
  auto r = http.post("/api/fixture-feed/feeds", R"({"name":")" + name + R"("})",
                     {{"Authorization", bearer(feed.token)}, {"Content-Type", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  feed.id = text_of(r.json(), "id");
  return feed;
}

void append(Http& http, const Feed& feed, const std::string& text, const std::string& more = "") {
  auto r = http.post("/api/fixture-feed/feeds/" + feed.id + "/entries", R"({"text":")" + text + "\"" + more + "}",
                     {{"Authorization", bearer(feed.token)}, {"Content-Type", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
}

std::string stream_path(const Feed& feed) { return "/api/fixture-feed/feeds/" + feed.id + "/stream"; }

// The next WebSocket frame, checked to be entry `seq` with `text`.
void expect_entry(StreamClient& ws, long long seq, const std::string& text) {
  auto frame = ws.next(10s);
  REQUIRE(frame);
  INFO(json_of(**frame));
  CHECK((*frame)->getValue<long long>("id") == seq);
  CHECK(text_of(*frame, "event") == "feed.entry_added");
  auto data = (*frame)->getObject("data");
  REQUIRE(data);
  CHECK(data->getValue<long long>("seq") == seq);
  CHECK(text_of(data, "text") == text);
}

void expect_entry(EventStreamClient& sse, long long seq, const std::string& text) {
  auto e = sse.next(10s);
  REQUIRE(e);
  CHECK(e->id == std::to_string(seq));
  CHECK(e->event == "feed.entry_added");
  REQUIRE(e->data);
  CHECK(e->data->getValue<long long>("seq") == seq);
  CHECK(text_of(e->data, "text") == text);
}

double open_streams(Http& http) {
  auto r = http.get("/metrics");
  REQUIRE(r.status == 200);
  return metric_value(r.body, "crm_plugin_streams", {}).value_or(-1);
}

} // namespace

TEST_CASE("a WebSocket stream sends the feed's state, then each entry in order, and closes after the final one",
          "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  append(host.http(), feed, "one");

  StreamClient ws(host.port(), feed.token, StreamClient::TokenVia::Query, stream_path(feed));
  auto state = ws.next(10s);
  REQUIRE(state);
  CHECK(text_of(*state, "event") == "feed.state");
  CHECK((*state)->getValue<long long>("id") == 1);
  CHECK((*state)->getObject("data")->getArray("entries")->size() == 1);

  append(host.http(), feed, "two");
  append(host.http(), feed, "three");
  expect_entry(ws, 2, "two");
  expect_entry(ws, 3, "three");
  append(host.http(), feed, "four", R"(,"final":true)");
  expect_entry(ws, 4, "four");
  CHECK_FALSE(ws.next(5s));
  CHECK(ws.closed());
  CHECK(ws.close_code() == 1000);
}

TEST_CASE("an SSE stream sends the feed's state, then each entry in order, and ends after the final one",
          "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());

  EventStreamClient sse(host.port(), stream_path(feed), {{"Authorization", bearer(feed.token)}});
  REQUIRE(sse.status() == 200);
  CHECK(starts_with(sse.header("Content-Type"), "text/event-stream"));
  CHECK(sse.header("Cache-Control") == "no-store");
  CHECK(sse.header("X-Accel-Buffering") == "no");
  auto state = sse.next(10s);
  REQUIRE(state);
  CHECK(state->event == "feed.state");
  CHECK(state->id == "0");

  for (int i = 1; i <= 5; ++i)
    append(host.http(), feed, "entry " + std::to_string(i), i == 5 ? R"(,"final":true)" : "");
  for (int i = 1; i <= 5; ++i) expect_entry(sse, i, "entry " + std::to_string(i));
  CHECK_FALSE(sse.next(5s));
  CHECK(sse.ended());
  CHECK_FALSE(sse.cut());
}

TEST_CASE("another user's feed stream is 404 and opens nothing, a GET asking for no stream is 406",
          "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  const std::string mallory = mint_token("SALES", random_uuid());

  EventStreamClient sse(host.port(), stream_path(feed), {{"Authorization", bearer(mallory)}});
  CHECK(sse.status() == 404);
  CHECK(starts_with(sse.header("Content-Type"), "application/problem+json"));
  CHECK_THROWS_AS(StreamClient(host.port(), mallory, StreamClient::TokenVia::Query, stream_path(feed)),
                  Poco::Net::WebSocketException);
  CHECK(open_streams(host.http()) == 0);

  auto plain =
      host.http().get(stream_path(feed), {{"Authorization", bearer(feed.token)}, {"Accept", "application/json"}});
  auto problem = require_problem(plain, 406);
  CHECK(contains(text_of(problem, "detail"), "text/event-stream"));
  CHECK(open_streams(host.http()) == 0);

  auto bad_after = host.http().get(
      stream_path(feed),
      {{"Authorization", bearer(feed.token)}, {"Accept", "text/event-stream"}, {"Last-Event-ID", "x1"}});
  CHECK(error_fields(require_problem(bad_after, 422)) == std::vector<std::string>{"after"});
}

TEST_CASE("a stream resumed with Last-Event-ID (or ?after=) gets exactly the entries it missed, then the live ones",
          "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  for (int i = 1; i <= 4; ++i) append(host.http(), feed, "e" + std::to_string(i));

  EventStreamClient sse(host.port(), stream_path(feed),
                        {{"Authorization", bearer(feed.token)}, {"Last-Event-ID", "2"}});
  REQUIRE(sse.status() == 200);
  expect_entry(sse, 3, "e3");
  expect_entry(sse, 4, "e4");
  StreamClient ws(host.port(), feed.token, StreamClient::TokenVia::Subprotocol, stream_path(feed) + "?after=3");
  CHECK(ws.handshake().get("Sec-WebSocket-Protocol", "") == "access_token");
  expect_entry(ws, 4, "e4");

  append(host.http(), feed, "e5");
  expect_entry(sse, 5, "e5");
  expect_entry(ws, 5, "e5");
  CHECK_FALSE(sse.next(300ms));
  CHECK_FALSE(ws.next(300ms));
}

TEST_CASE("an event that skips ids makes the host ask the handler for the missing entries", "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  EventStreamClient sse(host.port(), stream_path(feed), {{"Authorization", bearer(feed.token)}});
  REQUIRE(sse.next(10s));
  append(host.http(), feed, "heard");
  expect_entry(sse, 1, "heard");
  // Entry 2's event is lost on the way (the fixture emits none): entry 3's
  // event skips an id, and the stream still shows 2 before 3.
  append(host.http(), feed, "unheard", R"(,"silent":true)");
  append(host.http(), feed, "after the gap");
  expect_entry(sse, 2, "unheard");
  expect_entry(sse, 3, "after the gap");
}

TEST_CASE("an entry appended through a second host reaches a stream on the first", "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  auto second = host.another_host("second");
  second->start();
  second->wait_until_live();
  Http second_http(second->port());
  const Feed feed = create_feed(host.http());

  StreamClient ws(host.port(), feed.token, StreamClient::TokenVia::Header, stream_path(feed));
  REQUIRE(ws.next(10s)); // the state
  EventStreamClient sse(host.port(), stream_path(feed), {{"Authorization", bearer(feed.token)}});
  REQUIRE(sse.next(10s));
  for (int i = 1; i <= 3; ++i) append(second_http, feed, "from the second host " + std::to_string(i));
  for (int i = 1; i <= 3; ++i) {
    expect_entry(ws, i, "from the second host " + std::to_string(i));
    expect_entry(sse, i, "from the second host " + std::to_string(i));
  }
}

TEST_CASE("a stream outlives its host's restart: reconnecting with Last-Event-ID leaves no gap", "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  std::string last_id;
  {
    EventStreamClient sse(host.port(), stream_path(feed), {{"Authorization", bearer(feed.token)}});
    REQUIRE(sse.next(10s));
    append(host.http(), feed, "before");
    auto e = sse.next(10s);
    REQUIRE(e);
    last_id = e->id;
    host.process().stop();
    CHECK_FALSE(sse.next(10s));
    CHECK(sse.cut()); // cut short, not ended: the client reconnects
    CHECK_FALSE(sse.ended());
  }
  host.start();
  Http http(host.port());
  append(http, feed, "while away");
  EventStreamClient sse(host.port(), stream_path(feed),
                        {{"Authorization", bearer(feed.token)}, {"Last-Event-ID", last_id}});
  REQUIRE(sse.status() == 200);
  expect_entry(sse, 2, "while away");
  append(http, feed, "after", R"(,"final":true)");
  expect_entry(sse, 3, "after");
  CHECK_FALSE(sse.next(5s));
  CHECK(sse.ended());
}

TEST_CASE("a plugin stream closes when its access token expires", "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"});
  const Feed feed = create_feed(host.http());
  TokenOverrides brief;
  brief.expires_in = 2s;
  StreamClient ws(host.port(), mint_token("SALES", feed.owner, brief), StreamClient::TokenVia::Query,
                  stream_path(feed));
  REQUIRE(ws.next(10s));     // the state
  CHECK_FALSE(ws.next(10s)); // nothing appended: the host closes it
  CHECK(ws.closed());
  CHECK(ws.close_code() == 1008);
}

TEST_CASE("open plugin streams hold no request thread, a user's streams past the limit are refused with 429",
          "[plugin-streams]") {
  HostUnderTest host({"fixture_feed"}, {{"CRM_HTTP_MAX_THREADS", "4"}});
  const Feed feed = create_feed(host.http());
  std::vector<std::unique_ptr<EventStreamClient>> streams;
  for (int i = 0; i < 16; ++i) { // http.streams.max_per_user
    streams.push_back(std::make_unique<EventStreamClient>(
        host.port(), stream_path(feed), std::map<std::string, std::string>{{"Authorization", bearer(feed.token)}}));
    REQUIRE(streams.back()->status() == 200);
    REQUIRE(streams.back()->next(10s));
  }
  EventStreamClient one_too_many(host.port(), stream_path(feed), {{"Authorization", bearer(feed.token)}});
  CHECK(one_too_many.status() == 429);
  Http fresh(host.port(), std::chrono::seconds(2));
  CHECK(fresh.get("/health/live").status == 200);
  CHECK(open_streams(fresh) == 16);
  append(fresh, feed, "to all");
  for (auto& s : streams) expect_entry(*s, 1, "to all");
}

TEST_CASE("a plugin's component down makes /health/ready degraded with 200 and names it", "[plugin-streams][health]") {
  HostUnderTest host({"fixture_feed"});
  const std::string token = mint_token("SALES", random_uuid());
  auto ready = host.http().get("/health/ready");
  REQUIRE(ready.status == 200);
  CHECK_FALSE(ready.json()->getObject("checks")->has("fixture_feed.upstream"));

  auto r = host.http().post("/api/fixture-feed/health", R"({"up":false,"detail":"upstream timed out","depth":7})",
                            {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}});
  REQUIRE(r.status == 200);
  ready = host.http().get("/health/ready");
  INFO(ready.body);
  CHECK(ready.status == 200);
  CHECK(text_of(ready.json(), "status") == "degraded");
  CHECK(text_of(ready.json()->getObject("checks"), "fixture_feed.upstream") == "down");
  CHECK(text_of(ready.json()->getObject("details"), "fixture_feed.upstream") == "upstream timed out");
  CHECK(text_of(ready.json()->getObject("checks"), "postgres") == "ok");

  r = host.http().post("/api/fixture-feed/health", R"({"up":true,"depth":3})",
                       {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}});
  REQUIRE(r.status == 200);
  ready = host.http().get("/health/ready");
  CHECK(ready.status == 200);
  CHECK(text_of(ready.json()->getObject("checks"), "fixture_feed.upstream") == "ok");
  CHECK(text_of(ready.json(), "status") == "ok");
}

TEST_CASE("a plugin's gauge and counter appear on /metrics", "[plugin-streams][health]") {
  HostUnderTest host({"fixture_feed"});
  const std::string token = mint_token("SALES", random_uuid());
  for (const char* body : {R"({"up":true,"depth":7})", R"({"up":true,"depth":12})"}) {
    auto r = host.http().post("/api/fixture-feed/health", body,
                              {{"Authorization", bearer(token)}, {"Content-Type", "application/json"}});
    REQUIRE(r.status == 200);
  }
  auto metrics = host.http().get("/metrics");
  REQUIRE(metrics.status == 200);
  INFO(metrics.body);
  CHECK(metric_value(metrics.body, "crm_fixture_feed_depth", {{"feed", "main"}}) == 12);
  CHECK(metric_value(metrics.body, "crm_fixture_feed_reports_total", {}) == 2);
  CHECK(contains(metrics.body, "# HELP crm_fixture_feed_depth Entries waiting upstream.\n"
                               "# TYPE crm_fixture_feed_depth gauge\n"));
  CHECK(contains(metrics.body, "# TYPE crm_fixture_feed_reports_total counter\n"));
  // HELP and TYPE once per name.
  size_t types = 0;
  for (size_t pos = 0; (pos = metrics.body.find("# TYPE crm_fixture_feed_depth ", pos)) != std::string::npos; ++pos)
    ++types;
  CHECK(types == 1);
}
