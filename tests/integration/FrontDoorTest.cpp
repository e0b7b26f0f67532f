// The front door, byte by byte: how crm-host answers requests as RFC 9112 has
// them and as attackers send them, over raw sockets: headers and request lines
// past their limits (431, 414), malformed request lines (400), deadlines on
// the head, the body and idle keep-alive connections (408 or a silent close),
// chunked bodies, Expect: 100-continue, HTTP/1.0 and pipelining.
// The load, caps, saturation and proxy tests are in FrontDoorLoadTest.cpp.
#include "support/Checks.hpp"
#include "support/FrontDoorProbes.hpp"
#include "support/HostUnderTest.hpp"
#include "support/RawConnection.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

constexpr auto kReply = std::chrono::milliseconds(5000);

// POST /api/fixture-cpp/echo/{id}: the reply holds the merged input.
std::string echo_request(const std::string& id, const std::string& body) {
  return raw_request("POST", "/api/fixture-cpp/echo/" + id, body);
}

std::string echoed(const RawResponse& r, const std::string& field) {
  Response as_json{r.status, {}, r.body};
  auto input = as_json.json()->getObject("input");
  return input && input->has(field) ? input->getValue<std::string>(field) : std::string();
}

// Sends `request` on a fresh connection and reads one reply.
std::optional<RawResponse> exchange(int port, const std::string& request) {
  RawConnection c(port);
  c.send(request);
  return c.read_response(kReply);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("a header block of 100 KiB is answered 431 and counted", "[frontdoor]") {
  HostUnderTest host({});
  RawConnection c(host.port());
  const std::string request = "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " +
                              std::string(100 * 1024, 'a') + "\r\n\r\n";
  c.send(request);
  auto r = c.read_response(kReply);
  INFO("pending: " << c.pending().substr(0, 200));
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "431"}}) >= 1);
}

TEST_CASE("a request line of 20 KiB is answered 414 and counted", "[frontdoor]") {
  HostUnderTest host({});
  RawConnection c(host.port());
  c.send("GET /health/live?q=" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  auto r = c.read_response(kReply);
  REQUIRE(r);
  CHECK(r->status == 414);
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "414"}}) >= 1);
}

TEST_CASE("malformed request lines are answered 400 and the connection is closed", "[frontdoor]") {
  HostUnderTest host({});
  const std::vector<std::string> malformed{
      "GET\r\nHost: x\r\n\r\n",                         // no target, no version
      "GET /health/live\r\nHost: x\r\n\r\n",            // no version (HTTP/0.9 style)
      "G(T /health/live HTTP/1.1\r\nHost: x\r\n\r\n",   // not a token
      "GET /health/live HTTQ/1.1\r\nHost: x\r\n\r\n",   // not HTTP
      "GET health/live HTTP/1.1\r\nHost: x\r\n\r\n",    // not an origin-form target
      "GET /health/\x01live HTTP/1.1\r\nHost: x\r\n\r\n", // a control byte in the target
      "GET /health/live HTTP/1.1\r\n\r\n",              // HTTP/1.1 without Host
      "POST /api/fixture-cpp/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /api/fixture-cpp/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
  };
  const double before = metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "400"}});
  for (const auto& request : malformed) {
    INFO("request: " << request);
    RawConnection c(host.port());
    c.send(request);
    auto r = c.read_response(kReply);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(c.wait_closed(kReply));
  }
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "400"}}) >=
        before + static_cast<double>(malformed.size()));
  // The host is unharmed.
  auto live = exchange(host.port(), raw_request("GET", "/health/live"));
  REQUIRE(live);
  CHECK(live->status == 200);
}

TEST_CASE("a head that does not arrive within the header deadline gets 408 and the connection is closed",
          "[frontdoor]") {
  HostUnderTest host({}, {{"CRM_HTTP_HEADER_TIMEOUT", "2"}});
  RawConnection c(host.port());
  const auto start = std::chrono::steady_clock::now();
  c.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // the empty line never comes
  REQUIRE(c.wait_closed(8s));
  const double took = seconds_since(start);
  CHECK(took >= 1.5);
  INFO("sent before the close: " << c.pending());
  CHECK(starts_with(c.pending(), "HTTP/1.1 408"));
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "408"}}) >= 1);
}

TEST_CASE("a body that stops half way is dropped at the body deadline", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"}, {{"CRM_HTTP_BODY_TIMEOUT", "2"}});
  RawConnection c(host.port());
  const std::string body = R"({"name":")" + std::string(200, 'x') + R"("})";
  const std::string request = echo_request("1", body);
  const std::string head_and_half = request.substr(0, request.size() - body.size() / 2);
  const auto start = std::chrono::steady_clock::now();
  c.send(head_and_half);
  REQUIRE(c.wait_closed(8s));
  const double took = seconds_since(start);
  CHECK(took >= 1.5);
  INFO("sent before the close: " << c.pending());
  // A reply, if any, is 408; never the operation's answer.
  CHECK((c.pending().empty() || starts_with(c.pending(), "HTTP/1.1 408")));
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "408"}}) >= 1);
}

TEST_CASE("a body that trickles in below the minimum rate is dropped", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"}, {{"CRM_HTTP_BODY_TIMEOUT", "60"}, {"CRM_HTTP_BODY_MIN_RATE", "1024"}});
  RawConnection c(host.port());
  const std::string body = R"({"name":")" + std::string(100000, 'x') + R"("})";
  const std::string request = echo_request("1", body);
  const size_t head = request.size() - body.size();
  c.send(request.substr(0, head));
  // 40 bytes every 200 ms is 200 B/s, a fifth of the minimum; the server
  // measures over 5 s windows, so it must give up within two of them.
  size_t sent = head;
  bool closed = false;
  for (int i = 0; i < 75 && !closed; ++i) { // 15 s at most
    c.send(request.substr(sent, 40));
    sent += 40;
    std::this_thread::sleep_for(200ms);
    closed = c.closed_by_peer();
  }
  INFO("sent " << sent - head << " body bytes; received: " << c.pending());
  CHECK(closed);
  CHECK((c.pending().empty() || starts_with(c.pending(), "HTTP/1.1 408")));
}

TEST_CASE("an idle keep-alive connection is closed silently after the keep-alive timeout", "[frontdoor]") {
  HostUnderTest host({}, {{"CRM_HTTP_KEEP_ALIVE_TIMEOUT", "2"}});
  RawConnection c(host.port());
  c.send(raw_request("GET", "/health/live"));
  auto r = c.read_response(kReply);
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(!c.closed_by_peer()); // kept alive after the reply
  REQUIRE(c.wait_closed(8s));
  CHECK(c.pending().empty()); // no 408 for a connection between requests
}

TEST_CASE("a client that never reads its replies holds no worker and is dropped at the write deadline",
          "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"}, {{"CRM_HTTP_WRITE_TIMEOUT", "5"}});
  // Eight replies of ~900 KB each, more than loopback's socket buffers hold,
  // to a client whose receive buffer is as small as the kernel allows.
  RawConnection c(host.port(), {}, 4096);
  const std::string body = R"({"blob":")" + std::string(900 * 1000, 'r') + R"("})";
  std::string batch;
  constexpr int kReplies = 8;
  for (int i = 0; i < kReplies; ++i) batch += echo_request(std::to_string(i), body);
  c.send(batch, 5s); // may stop part way: the host need not read what it cannot answer

  // Meanwhile the host serves others, and no worker waits on this client:
  // once the replies are built (a worker may be busy building one a moment),
  // only the worker serving /metrics is busy, well before the write deadline
  // would free a worker blocked on the client.
  const auto sent = std::chrono::steady_clock::now();
  auto live = timed_live_probe(host.port());
  REQUIRE(live.reply);
  CHECK(live.reply->status == 200);
  std::optional<double> busy;
  CHECK(eventually(
      [&] {
        busy = metric_value(metrics_text(host.port()), "crm_http_workers_busy", {});
        return busy && *busy <= 1;
      },
      3s, 100ms));
  INFO("workers busy: " << busy.value_or(-1));
  CHECK(std::chrono::steady_clock::now() - sent < 4s);

  // Past the write deadline the connection is gone: reading now gets what
  // was buffered, then the end, never all eight replies.
  std::this_thread::sleep_for(7s); // the client's part: not reading, past the deadline
  REQUIRE(c.wait_closed(15s));
  int whole_replies = 0;
  while (c.read_response(0ms)) ++whole_replies;
  CHECK(whole_replies < kReplies);
}

TEST_CASE("a chunked body with chunk extensions and a trailer is decoded as the operation's input", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"});
  RawConnection c(host.port());
  c.send("POST /api/fixture-cpp/echo/7 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n"
         "6;note=\"first part\"\r\n{\"a\":\"\r\n"
         "B\r\nchunked-ok\"\r\n"
         "1;x=y;z\r\n}\r\n"
         "0\r\nX-Checksum: abc\r\n\r\n");
  auto r = c.read_response(kReply);
  REQUIRE(r);
  INFO("reply: " << r->status << " " << r->body);
  REQUIRE(r->status == 200);
  CHECK(echoed(*r, "a") == "chunked-ok");
  CHECK(echoed(*r, "id") == "7");
  // The connection stays usable: the chunked framing was consumed exactly.
  c.send(echo_request("8", R"({"a":"next"})"));
  auto next = c.read_response(kReply);
  REQUIRE(next);
  REQUIRE(next->status == 200);
  CHECK(echoed(*next, "a") == "next");
}

TEST_CASE("a chunked body over the body cap is answered 413", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"}, {{"CRM_HTTP_MAX_BODY_BYTES", "1024"}});
  RawConnection c(host.port());
  std::string request = "POST /api/fixture-cpp/echo/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "200\r\n" + std::string(512, ' ') + "\r\n"; // 2 KiB in all
  request += "0\r\n\r\n";
  c.send(request);
  auto r = c.read_response(kReply);
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(metric_or_zero(metrics_text(host.port()), "crm_http_requests_rejected", {{"status", "413"}}) >= 1);
}

TEST_CASE("Expect: 100-continue gets 100 before the body and the final reply after it", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"});
  RawConnection c(host.port());
  const std::string body = R"({"a":"after-continue"})";
  c.send("POST /api/fixture-cpp/echo/3 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Expect: 100-continue\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n");
  auto interim = c.read_response(kReply);
  REQUIRE(interim);
  CHECK(interim->status == 100);
  c.send(body);
  auto final_reply = c.read_response(kReply);
  REQUIRE(final_reply);
  INFO("reply: " << final_reply->status << " " << final_reply->body);
  REQUIRE(final_reply->status == 200);
  CHECK(echoed(*final_reply, "a") == "after-continue");
}

TEST_CASE("Expect: 100-continue with a Content-Length over the cap gets 413 and no 100", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"});
  RawConnection c(host.port());
  c.send("POST /api/fixture-cpp/echo/3 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Expect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
  auto r = c.read_response(kReply);
  REQUIRE(r);
  CHECK(r->status == 413);
  // Refused from its Content-Length alone, the request is still named.
  CHECK(r->body.find(R"("instance":"/api/fixture-cpp/echo/3")") != std::string::npos);
}

TEST_CASE("HTTP/1.0 closes after the reply unless it asks for keep-alive", "[frontdoor]") {
  HostUnderTest host({});
  {
    RawConnection c(host.port());
    c.send("GET /health/live HTTP/1.0\r\n\r\n");
    auto r = c.read_response(kReply);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.wait_closed(kReply));
  }
  {
    RawConnection c(host.port());
    for (int i = 0; i < 2; ++i) {
      c.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      auto r = c.read_response(kReply);
      INFO("request " << i + 1 << " on the kept connection");
      REQUIRE(r);
      CHECK(r->status == 200);
      CHECK(lower(r->header("Connection").value_or("")) == "keep-alive");
    }
    CHECK(!c.closed_by_peer());
  }
  {
    // And HTTP/1.1 with Connection: close closes.
    RawConnection c(host.port());
    c.send(raw_request("GET", "/health/live", "", {"Connection: close"}));
    auto r = c.read_response(kReply);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.wait_closed(kReply));
  }
}

TEST_CASE("pipelined requests sent in one write are answered in order", "[frontdoor]") {
  HostUnderTest host({"fixture_cpp"});
  RawConnection c(host.port());
  std::string batch;
  const int n = 6;
  for (int i = 0; i < n; ++i) {
    batch += echo_request(std::to_string(i), R"({"n":")" + std::to_string(i) + R"("})");
    if (i == 2) batch += raw_request("GET", "/health/live");
  }
  c.send(batch);
  for (int i = 0; i < n; ++i) {
    auto r = c.read_response(kReply);
    INFO("reply " << i);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(echoed(*r, "id") == std::to_string(i));
    CHECK(echoed(*r, "n") == std::to_string(i));
    if (i == 2) {
      auto live = c.read_response(kReply);
      REQUIRE(live);
      CHECK(live->status == 200);
      CHECK(contains(live->body, "ok"));
    }
  }
  CHECK(c.pending().empty());
}
