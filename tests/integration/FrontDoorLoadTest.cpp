// The front door under attack and under load: connections that trickle their
// headers or sit idle by the thousand hold no worker and cost little memory;
// the connection caps refuse cheaply and are counted; a saturated pool answers
// 503 at once; X-Forwarded-For counts only from a trusted proxy; SIGTERM
// drains. Every client is on 127.0.0.x; loads are bounded.
#include "support/AuthHost.hpp"
#include "support/Checks.hpp"
#include "support/FrontDoorProbes.hpp"
#include "support/HostUnderTest.hpp"
#include "support/ProcessStats.hpp"
#include "support/RawConnection.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// The i-th of `spread` source addresses from 127.0.<subnet>.10 on, so many
// connections look like many clients (the per-address cap is per client).
std::string source_address(size_t i, size_t spread, int subnet = 0) {
  return "127.0." + std::to_string(subnet) + "." + std::to_string(10 + i % spread);
}

size_t count_closed(std::vector<RawConnection>& connections) {
  size_t closed = 0;
  for (auto& c : connections) closed += c.closed_by_peer() ? 1 : 0;
  return closed;
}

std::string login_body(const std::string& email, const std::string& password) {
  Poco::JSON::Object body;
  body.set("email", email);
  body.set("password", password);
  return json_of(body);
}

// The client address the audit log recorded for the one failed login of `email`.
std::string audited_client_ip(AuthHost& auth, const std::string& email) {
  auto items = auth.audit_entries("action=auth.login&outcome=FAILURE&resource=" + email);
  REQUIRE(items->size() == 1);
  return text_of(items->getObject(0), "clientIp");
}

// Waits for the host log to show `lines` operations of fixture_slow asleep.
bool slow_operations_asleep(HostProcess& host, const std::string& marker, size_t lines) {
  return eventually(
      [&] {
        const std::string log = host.log();
        size_t found = 0;
        for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) ++found;
        return found >= lines;
      },
      10s, 20ms);
}

std::string slow_request(int ms) {
  return raw_request("POST", "/api/fixture-slow/sleep", R"({"ms":)" + std::to_string(ms) + "}");
}

AuthHostOptions with_settings(std::map<std::string, std::string> env) {
  AuthHostOptions options;
  options.env = std::move(env);
  return options;
}

} // namespace

TEST_CASE("500 connections trickling header lines hold no worker: the live probe and a login answer at once",
          "[frontdoor][frontdoor-load]") {
  // The trickle must outlive the test, not the header deadline.
  AuthHost auth(with_settings({{"CRM_HTTP_HEADER_TIMEOUT", "60"}}));
  const int port = auth.host().port();
  constexpr size_t kTricklers = 500;
  const std::string login = raw_request("POST", "/api/auth/login", login_body(auth.admin().email, auth.admin().password));

  // A login is argon2id work: on a machine busy with other work it may take
  // longer than 100 ms by itself. What the trickle must not do is slow it.
  std::vector<double> baseline_ms;
  for (int i = 0; i < 3; ++i) {
    auto t = timed_request(port, login);
    REQUIRE(t.reply);
    REQUIRE(t.reply->status == 200);
    baseline_ms.push_back(t.ms);
  }

  std::vector<RawConnection> tricklers;
  tricklers.reserve(kTricklers);
  for (size_t i = 0; i < kTricklers; ++i) {
    tricklers.emplace_back(port, source_address(i, 10));
    tricklers.back().send("GET /health/live HTTP/1.1\r\n");
  }

  std::vector<double> live_ms, login_ms;
  std::string metrics;
  for (int round = 1; round <= 4; ++round) {
    for (auto& c : tricklers) c.send("X-Trickle-" + std::to_string(round) + ": still here\r\n");
    // Measured while every trickler is half way through its head.
    for (int i = 0; i < 2; ++i) {
      auto t = timed_live_probe(port);
      INFO("live probe in round " << round);
      REQUIRE(t.reply);
      CHECK(t.reply->status == 200);
      live_ms.push_back(t.ms);
    }
    if (round <= 3) {
      auto t = timed_request(port, login);
      INFO("login in round " << round);
      REQUIRE(t.reply);
      CHECK(t.reply->status == 200);
      login_ms.push_back(t.ms);
    }
    if (round == 2) metrics = metrics_text(port);
    std::this_thread::sleep_for(2s); // the trickle's pace: one header line per connection every 2 s
  }

  INFO("live probes (ms): " << Catch::Detail::stringify(live_ms) << "; logins (ms): "
                            << Catch::Detail::stringify(login_ms) << "; logins before the trickle (ms): "
                            << Catch::Detail::stringify(baseline_ms));
  CHECK(median(live_ms) <= 100);
  // Workers held by the trickle would hold up every login until the header
  // deadline (60 s here); the trickle's own CPU and other tests sharing the
  // machine's two cores slow some by tens of ms (a login is ~50 ms of
  // argon2id). The quickest of the three shows the former and not the
  // latter (a property, not a speed figure).
  CHECK(*std::min_element(login_ms.begin(), login_ms.end()) <=
        std::max(250.0, 3 * *std::min_element(baseline_ms.begin(), baseline_ms.end())));
  // Every trickler is still connected, and none of them holds a worker (the
  // one busy worker may be the one serving /metrics).
  CHECK(count_closed(tricklers) == 0);
  REQUIRE(!metrics.empty());
  CHECK(metric_or_zero(metrics, "crm_http_connections_open") >= kTricklers);
  CHECK(metric_value(metrics, "crm_http_workers_busy", {}).value_or(-1) <= 1);
  CHECK(metric_value(metrics, "crm_http_workers_busy", {}).value_or(-1) >= 0);
  CHECK(metric_or_zero(metrics, "crm_http_workers") == 64);
}

TEST_CASE("10,000 idle keep-alive connections: the live probe answers within 100 ms, memory grows under 200 MB, "
          "closing them gives every descriptor back",
          "[frontdoor][frontdoor-load]") {
  constexpr size_t kIdle = 10000;
  const rlim_t limit = raise_file_limit(kIdle + 1024);
  INFO("RLIMIT_NOFILE hard limit too low for " << kIdle << " connections: soft limit is " << limit);
  REQUIRE(limit >= kIdle + 512);

  // 50 source addresses, 200 connections each: under the per-address cap of
  // 256; the total cap is raised above the 10,000 plus the probes.
  HostUnderTest host({}, {{"CRM_HTTP_MAX_CONNECTIONS", "10100"}, {"CRM_HTTP_KEEP_ALIVE_TIMEOUT", "300"}});
  const int port = host.port();
  const int pid = host.process().pid();
  REQUIRE(timed_live_probe(port).reply);
  const auto rss_before = resident_kib(pid);
  const auto fds_before = open_fd_count(pid);
  const auto accepted_before = accepted_connection_count(pid, port);
  REQUIRE(rss_before);
  REQUIRE(fds_before);
  REQUIRE(accepted_before);

  std::vector<RawConnection> idle;
  idle.reserve(kIdle);
  const std::string request = raw_request("GET", "/health/live");
  for (size_t batch = 0; batch < kIdle; batch += 500) {
    for (size_t i = batch; i < batch + 500; ++i) {
      idle.emplace_back(port, source_address(i, 50, 1));
      idle.back().send(request);
    }
    // One deadline for the batch, and none after a batch falls short: a
    // host that cannot hold them fails in seconds, not batch by batch.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    size_t answered = 0;
    for (size_t i = batch; i < batch + 500; ++i) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      auto r = idle[i].read_response(std::max(left, std::chrono::milliseconds(0)));
      answered += r && r->status == 200 ? 1 : 0;
    }
    INFO("connections " << batch << " to " << batch + 499);
    REQUIRE(answered == 500);
  }

  std::vector<double> live_ms;
  for (int i = 0; i < 5; ++i) {
    auto t = timed_live_probe(port);
    REQUIRE(t.reply);
    CHECK(t.reply->status == 200);
    live_ms.push_back(t.ms);
  }
  const auto rss_held = resident_kib(pid);
  const auto fds_held = open_fd_count(pid);
  const auto accepted_held = accepted_connection_count(pid, port);
  REQUIRE(rss_held);
  REQUIRE(fds_held);
  REQUIRE(accepted_held);
  INFO("live probes (ms): " << Catch::Detail::stringify(live_ms) << "; RSS " << *rss_before << " -> " << *rss_held
                            << " KiB; fds " << *fds_before << " -> " << *fds_held << "; accepted connections "
                            << *accepted_before << " -> " << *accepted_held);
  CHECK(median(live_ms) <= 100);
  CHECK(*rss_held - *rss_before < 200 * 1024);
  // They really are held, each by a descriptor of its own (the probes'
  // connections may come and go meanwhile).
  CHECK(*accepted_held >= static_cast<long>(kIdle));
  CHECK(*fds_held >= *fds_before + static_cast<long>(kIdle) - 16);
  CHECK(count_closed(idle) == 0);
  CHECK(metric_or_zero(metrics_text(port), "crm_http_connections_open") >= kIdle);

  idle.clear();
  // Every connection's descriptor is given back. The host's own (pool and
  // NATS connections) may have grown by a few meanwhile, which is no leak.
  std::optional<long> fds_after, accepted_after;
  const bool given_back = eventually(
      [&] {
        fds_after = open_fd_count(pid);
        accepted_after = accepted_connection_count(pid, port);
        return fds_after && accepted_after && *accepted_after == 0 && *fds_after <= *fds_before + 8;
      },
      15s, 100ms);
  INFO("fds before " << *fds_before << ", after closing " << fds_after.value_or(-1) << "; accepted connections "
                     << *accepted_before << " -> " << accepted_after.value_or(-1));
  CHECK(given_back);
  CHECK(timed_live_probe(port).reply);
}

TEST_CASE("a connection past the per-address cap is closed at once and counted, other addresses still get in",
          "[frontdoor]") {
  HostUnderTest host({}, {{"CRM_HTTP_MAX_CONNECTIONS_PER_ADDRESS", "4"}, {"CRM_HTTP_HEADER_TIMEOUT", "60"}});
  const int port = host.port();
  const std::string crowded = "127.0.0.5";
  std::vector<RawConnection> held;
  for (int i = 0; i < 4; ++i) {
    held.emplace_back(port, crowded);
    held.back().send(raw_request("GET", "/health/live"));
    auto r = held.back().read_response(5s);
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  CHECK(closed_unanswered(port, crowded, 3s));
  auto other = timed_live_probe(port, "127.0.0.6");
  REQUIRE(other.reply);
  CHECK(other.reply->status == 200);

  const std::string metrics = metrics_text(port, "127.0.0.6");
  CHECK(metric_or_zero(metrics, "crm_http_connections_refused", {{"cause", "max_per_address"}}) >= 1);
  CHECK(metric_or_zero(metrics, "crm_http_connections_open") >= 4);

  // A place freed is a place taken again.
  held.pop_back();
  CHECK(eventually([&] { return !closed_unanswered(port, crowded, 3s); }, 10s, 100ms));
}

TEST_CASE("a connection past the total cap is closed at once and counted", "[frontdoor]") {
  HostUnderTest host({}, {{"CRM_HTTP_MAX_CONNECTIONS", "6"}, {"CRM_HTTP_HEADER_TIMEOUT", "60"}});
  const int port = host.port();
  std::vector<RawConnection> held;
  for (size_t i = 0; i < 6; ++i) {
    held.emplace_back(port, source_address(i, 6, 0));
    held.back().send(raw_request("GET", "/health/live"));
    auto r = held.back().read_response(5s);
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  CHECK(closed_unanswered(port, "127.0.0.40", 3s));
  CHECK(closed_unanswered(port, "127.0.0.41", 3s));
  const std::string metrics = metrics_text(held.front());
  CHECK(metric_or_zero(metrics, "crm_http_connections_refused", {{"cause", "max_connections"}}) >= 2);
  CHECK(metric_or_zero(metrics, "crm_http_connections_open") == 6);
}

TEST_CASE("with every worker busy and the queue full, new requests get 503 with Retry-After within 50 ms",
          "[frontdoor]") {
  HostUnderTest host({"fixture_slow"},
                     {{"CRM_HTTP_MAX_THREADS", "2"}, {"CRM_HTTP_MAX_QUEUED", "2"}, {"CRM_HTTP_RETRY_AFTER", "1"}});
  const int port = host.port();
  std::vector<RawConnection> busy;
  for (int i = 0; i < 2; ++i) {
    busy.emplace_back(port);
    busy.back().send(slow_request(2500));
  }
  REQUIRE(slow_operations_asleep(host.process(), "fixture_slow sleeping 2500 ms", 2));
  for (int i = 0; i < 2; ++i) {
    busy.emplace_back(port);
    busy.back().send(slow_request(300));
  }
  // No worker is free to report the queue depth: give the front door a
  // moment to read the two queued requests off loopback.
  std::this_thread::sleep_for(200ms);

  std::vector<double> refused_ms;
  for (int i = 0; i < 5; ++i) {
    auto t = timed_request(port, slow_request(0));
    INFO("probe " << i);
    REQUIRE(t.reply);
    CHECK(t.reply->status == 503);
    auto retry_after = t.reply->header("Retry-After");
    REQUIRE(retry_after);
    CHECK(*retry_after == "1");
    refused_ms.push_back(t.ms);
  }
  INFO("503 answered in (ms): " << Catch::Detail::stringify(refused_ms));
  CHECK(median(refused_ms) <= 50);

  // The held and queued requests are all served.
  for (auto& c : busy) {
    auto r = c.read_response(10s);
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  const std::string metrics = metrics_text(port);
  CHECK(metric_or_zero(metrics, "crm_http_requests_rejected", {{"status", "503"}}) >= 5);
  CHECK(metric_or_zero(metrics, "crm_http_workers") == 2);
  auto after = timed_request(port, slow_request(0));
  REQUIRE(after.reply);
  CHECK(after.reply->status == 200);
}

TEST_CASE("X-Forwarded-For and Forwarded from an untrusted peer change nothing", "[frontdoor]") {
  AuthHost auth; // http.trusted_proxies empty
  const std::string by_xff = unique_email("xff"), by_forwarded = unique_email("fwd");
  auto r = auth.http().request("POST", "/api/auth/login", login_body(by_xff, "Wrong-password-1"),
                               {{"X-Forwarded-For", "203.0.113.7"}});
  require_problem(r, 401);
  r = auth.http().request("POST", "/api/auth/login", login_body(by_forwarded, "Wrong-password-1"),
                          {{"Forwarded", "for=203.0.113.8;proto=http"}});
  require_problem(r, 401);
  CHECK(audited_client_ip(auth, by_xff) == "127.0.0.1");
  CHECK(audited_client_ip(auth, by_forwarded) == "127.0.0.1");
}

TEST_CASE("from a trusted proxy, X-Forwarded-For and Forwarded set the client address, from others they do not",
          "[frontdoor]") {
  AuthHost auth(with_settings({{"CRM_HTTP_TRUSTED_PROXIES", "127.0.0.1/32"}}));
  const int port = auth.host().port();
  const std::string chained = unique_email("chain"), forwarded = unique_email("fwd"), untrusted = unique_email("other");

  // The rightmost address that is not itself a trusted proxy is the client.
  auto t = timed_request(port, raw_request("POST", "/api/auth/login", login_body(chained, "Wrong-password-1"),
                                           {"X-Forwarded-For: 203.0.113.50, 198.51.100.9, 127.0.0.1"}));
  REQUIRE(t.reply);
  CHECK(t.reply->status == 401);
  t = timed_request(port, raw_request("POST", "/api/auth/login", login_body(forwarded, "Wrong-password-1"),
                                      {"Forwarded: for=192.0.2.60;proto=http"}));
  REQUIRE(t.reply);
  CHECK(t.reply->status == 401);
  // 127.0.0.2 is no proxy of ours.
  t = timed_request(port,
                    raw_request("POST", "/api/auth/login", login_body(untrusted, "Wrong-password-1"),
                                {"X-Forwarded-For: 198.51.100.77"}),
                    "127.0.0.2");
  REQUIRE(t.reply);
  CHECK(t.reply->status == 401);

  CHECK(audited_client_ip(auth, chained) == "198.51.100.9");
  CHECK(audited_client_ip(auth, forwarded) == "192.0.2.60");
  CHECK(audited_client_ip(auth, untrusted) == "127.0.0.2");
}

TEST_CASE("SIGTERM stops accepting, lets the slow request in flight finish, and the host exits 0", "[frontdoor]") {
  HostUnderTest host({"fixture_slow"});
  const int port = host.port();
  RawConnection in_flight(port);
  in_flight.send(slow_request(1500));
  REQUIRE(slow_operations_asleep(host.process(), "fixture_slow sleeping 1500 ms", 1));

  host.process().terminate();
  CHECK(eventually([&] { return closed_unanswered(port, "127.0.0.1", 500ms); }, 3s, 50ms));
  auto r = in_flight.read_response(10s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(contains(r->body, "\"slept\":1500"));
  auto code = host.process().wait_for_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}
