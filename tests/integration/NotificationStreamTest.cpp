// Live notifications over WebSocket (GET /api/notifications/stream): a
// notification.created event reaches the streams of its user, on whichever
// host they are connected, and no one else's; the upgrade refuses callers
// without a valid token; a stream closes when its token expires, and when its
// session ends (logout, deactivation, another role) with the real auth plugin. The events
// come from fixture_cpp.notify, which emits them as the analytics plugin does.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/StreamClient.hpp"

#include <catch2/catch.hpp>

using namespace itest;
using namespace std::chrono_literals;

namespace {

std::string notify(Http& http, const std::string& user, const std::string& title) {
  auto r = http.post("/api/fixture-cpp/notify", R"({"userId":")" + user + R"(","title":")" + title + R"("})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return text_of(r.json(), "id");
}

// The pushed frame's notification, checked to be a notification.created.
Poco::JSON::Object::Ptr pushed(StreamClient& stream) {
  auto frame = stream.next(10s);
  REQUIRE(frame);
  CHECK(text_of(*frame, "type") == "notification.created");
  auto data = (*frame)->getObject("data");
  REQUIRE(data);
  return data;
}

} // namespace

TEST_CASE("a notification reaches every stream of its user and no other user's", "[streams]") {
  HostUnderTest host({"fixture_cpp"});
  const std::string alice = random_uuid(), bob = random_uuid();
  StreamClient alice_tab1(host.port(), mint_token("SALES", alice));
  StreamClient alice_tab2(host.port(), mint_token("SALES", alice), StreamClient::TokenVia::Subprotocol);
  StreamClient bob_tab(host.port(), mint_token("MANAGER", bob), StreamClient::TokenVia::Header);
  REQUIRE(alice_tab1.ready());
  REQUIRE(alice_tab2.ready());
  REQUIRE(bob_tab.ready());
  CHECK(alice_tab2.handshake().get("Sec-WebSocket-Protocol", "") == "access_token");

  const std::string id = notify(host.http(), alice, "for alice");
  for (StreamClient* tab : {&alice_tab1, &alice_tab2}) {
    auto n = pushed(*tab);
    CHECK(text_of(n, "id") == id);
    CHECK(text_of(n, "userId") == alice);
    CHECK(text_of(n, "title") == "for alice");
  }
  // Bob's own notification comes next on his stream: nothing of Alice's before it.
  const std::string bobs = notify(host.http(), bob, "for bob");
  auto n = pushed(bob_tab);
  CHECK(text_of(n, "id") == bobs);
  CHECK_FALSE(alice_tab1.next(500ms));

  auto metrics = host.http().get("/metrics");
  CHECK(metric_value(metrics.body, "crm_notification_streams", {}) == 3.0);
  CHECK(metric_value(metrics.body, "crm_notifications_pushed", {}) == 3.0);
}

TEST_CASE("each host pushes to the users connected to it", "[streams]") {
  HostUnderTest host({"fixture_cpp"});
  auto second = host.another_host("second");
  second->start();
  second->wait_until_live();
  const std::string alice = random_uuid(), bob = random_uuid();
  StreamClient alice_on_first(host.port(), mint_token("SALES", alice));
  StreamClient bob_on_second(second->port(), mint_token("SALES", bob));
  REQUIRE(alice_on_first.ready());
  REQUIRE(bob_on_second.ready());

  // Each notification is emitted through the other host.
  Http second_http(second->port());
  const std::string for_alice = notify(second_http, alice, "via second");
  const std::string for_bob = notify(host.http(), bob, "via first");
  CHECK(text_of(pushed(alice_on_first), "id") == for_alice);
  CHECK(text_of(pushed(bob_on_second), "id") == for_bob);
  CHECK_FALSE(alice_on_first.next(500ms));
  CHECK_FALSE(bob_on_second.next(100ms));
}

TEST_CASE("the stream refuses a caller without a valid token and a request that is not an upgrade", "[streams]") {
  HostUnderTest host({"fixture_cpp"});
  CHECK_THROWS_AS(StreamClient(host.port(), "not-a-token"), Poco::Net::WebSocketException);
  TokenOverrides expired;
  expired.expires_in = -300s; // beyond the verifier's clock-skew leeway
  CHECK_THROWS_AS(StreamClient(host.port(), mint_token("SALES", random_uuid(), expired)), Poco::Net::WebSocketException);

  auto no_token = host.http().get("/api/notifications/stream");
  require_problem(no_token, 401);
  auto plain = host.http().get("/api/notifications/stream?access_token=" + mint_token("SALES", random_uuid()));
  auto problem = require_problem(plain, 400);
  CHECK(contains(text_of(problem, "detail"), "WebSocket"));
  require_problem(host.http().post("/api/notifications/stream", "{}"), 405);
}

TEST_CASE("a stream closes when its access token expires", "[streams]") {
  HostUnderTest host({"fixture_cpp"});
  TokenOverrides brief;
  brief.expires_in = 2s;
  StreamClient stream(host.port(), mint_token("SALES", random_uuid(), brief));
  REQUIRE(stream.ready());
  CHECK_FALSE(stream.next(10s)); // no notification: the host closes it
  CHECK(stream.closed());
  CHECK(stream.close_code() == 1008);
}

TEST_CASE("open streams hold no request thread - many idle listeners never starve requests", "[streams]") {
  // Eight request threads; five times as many open streams, sixteen of them
  // one user's (the most a user may hold: http.streams.max_per_user).
  HostUnderTest host({"fixture_cpp"}, {{"CRM_HTTP_MAX_THREADS", "8"}});
  std::vector<std::unique_ptr<StreamClient>> streams;
  const std::string user = random_uuid();
  for (int i = 0; i < 40; ++i) {
    streams.push_back(std::make_unique<StreamClient>(host.port(), mint_token("SALES", i < 16 ? user : random_uuid())));
    REQUIRE(streams.back()->ready());
  }
  for (int i = 0; i < 20; ++i) {
    Http fresh(host.port(), std::chrono::seconds(2));
    REQUIRE(fresh.get("/health/live").status == 200);
  }
  StreamClient one_too_many(host.port(), mint_token("SALES", user));
  CHECK_FALSE(one_too_many.ready());
  CHECK(one_too_many.close_code() == 1008);

  notify(host.http(), user, "to sixteen tabs");
  int got = 0;
  for (int i = 0; i < 16; ++i) got += text_of(pushed(*streams[static_cast<size_t>(i)]), "userId") == user;
  CHECK(got == 16);
  CHECK_FALSE(streams[16]->next(std::chrono::milliseconds(300)));
}

TEST_CASE("a stream closes when its user logs out, is deactivated or loses the role - other sessions stay open",
          "[streams][sessions]") {
  AuthHost auth;
  const int port = auth.host().port();
  Account leaving = auth.create_user("SALES"), deactivated = auth.create_user("SALES"),
          demoted = auth.create_user("MANAGER"), bystander = auth.create_user("SALES");
  Account leaving_elsewhere = leaving; // the same user signed in a second time
  auth.sign_in(leaving_elsewhere);
  StreamClient leaving_stream(port, leaving.access_token), elsewhere_stream(port, leaving_elsewhere.access_token),
      deactivated_stream(port, deactivated.access_token), demoted_stream(port, demoted.access_token),
      bystander_stream(port, bystander.access_token);
  for (StreamClient* s : {&leaving_stream, &elsewhere_stream, &deactivated_stream, &demoted_stream, &bystander_stream})
    REQUIRE(s->ready());
  auto closed_by_host = [](StreamClient& s) {
    CHECK_FALSE(s.next(5s)); // nothing comes but the close
    CHECK(s.closed());
    CHECK(s.close_code() == 1008);
  };

  INFO("logout");
  REQUIRE(auth.call("POST", "/api/auth/logout", "{}", leaving.access_token).status == 204);
  closed_by_host(leaving_stream);

  INFO("deactivation");
  auto off = auth.call("PATCH", "/api/auth/users/" + deactivated.id, R"({"active":false})", auth.admin().access_token);
  INFO(off.body);
  REQUIRE(off.status == 200);
  closed_by_host(deactivated_stream);

  INFO("role change");
  auto role = auth.call("PATCH", "/api/auth/users/" + demoted.id, R"({"role":"SALES"})", auth.admin().access_token);
  INFO(role.body);
  REQUIRE(role.status == 200);
  closed_by_host(demoted_stream);

  // The user's other session and another user's stream are still served.
  for (StreamClient* s : {&elsewhere_stream, &bystander_stream}) {
    CHECK_FALSE(s->next(300ms));
    CHECK_FALSE(s->closed());
  }
}
