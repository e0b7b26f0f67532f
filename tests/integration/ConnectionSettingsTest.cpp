// Connection settings for clusters and secured servers, each against real
// servers: several NATS URLs of which the first is down; PostgreSQL through
// libpq's multi-host DSN with target_session_attrs=read-write where the first
// address is down; a NATS server that requires a user and password (read from
// a file); a Redis server that requires AUTH, with an ACL user; a Redis server
// over TLS that asks for a client certificate. Secrets never reach the log.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"
#include "support/ThrowawayCertificate.hpp"

#include <Poco/Process.h>

#include <csignal>
#include <fstream>
#include <optional>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// A server process of the test's own (nats-server, redis-server) on a free
// loopback port, stopped when the test ends.
class ServerProcess {
public:
  ServerProcess(const std::string& program, std::vector<std::string> args, int port) : port_(port) {
    handle_.emplace(Poco::Process::launch(program, args));
    const bool up = eventually([&] { return try_connect(port_); }, 10s, 20ms);
    INFO(program << " should accept connections on 127.0.0.1:" << port_);
    REQUIRE(up);
  }
  ~ServerProcess() {
    ::kill(handle_->id(), SIGTERM);
    handle_->wait();
  }
  int port() const { return port_; }

  static bool try_connect(int port) {
    try {
      Poco::Net::StreamSocket s;
      s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), Poco::Timespan(0, 200000));
      return true;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

private:
  int port_;
  std::optional<Poco::ProcessHandle> handle_;
};

// The readiness check `name` ("postgres", "nats", "redis") of the host.
std::string readiness(HostUnderTest& host, const std::string& name) {
  auto r = host.http().get("/health/ready");
  auto checks = r.json()->getObject("checks");
  return checks && checks->has(name) ? checks->getValue<std::string>(name) : std::string("absent");
}

bool log_contains(HostUnderTest& host, const std::string& text) {
  return host.process().log_tail(100000).find(text) != std::string::npos;
}

} // namespace

TEST_CASE("nats.url with several servers connects to one that is up when the first is down", "[connection-settings]") {
  const int dead = free_port();
  HostUnderTest host({"fixture_c"}, {{"CRM_NATS_URL", "nats://127.0.0.1:" + std::to_string(dead) + "," +
                                                          env_or("CRM_NATS_URL")}});
  CHECK(eventually([&] { return readiness(host, "nats") == "ok"; }, 15s));
}

TEST_CASE("a multi-host DSN with target_session_attrs=read-write skips an address that is down",
          "[connection-settings]") {
  HostUnderTest probe({}, {}, HostUnderTest::Start::Later); // for its database
  // The first address refuses connections; the second is the test's server.
  const std::string multi = "host=127.0.0.1,127.0.0.1 port=" + std::to_string(free_port()) + "," +
                            env_or("CRM_PG_PORT") + " dbname=" + probe.db().name() +
                            " user=crm target_session_attrs=read-write";
  HostUnderTest host({"fixture_c"}, {{"CRM_DB_DSN", multi}, {"CRM_DB_PASSWORD", probe.db().password()}});
  CHECK(readiness(host, "postgres") == "ok");
  auto created = create_item(host.http(), "through the second address");
  CHECK_FALSE(text_of(created, "id").empty());
}

TEST_CASE("a NATS server that requires a user and password is reached with them, and refused without",
          "[connection-settings]") {
  const int port = free_port();
  const std::string password = "nats-secret-" + random_hex(8);
  ServerProcess nats("nats-server",
                     {"-a", "127.0.0.1", "-p", std::to_string(port), "-js", "-sd",
                      make_temp_dir("crm-nats-auth-").string(), "--user", "crm", "--pass", password},
                     port);
  const fs::path secret = make_temp_dir("crm-secret-") / "nats-password";
  std::ofstream(secret) << password << "\n";
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);

  HostUnderTest good({"fixture_c"}, {{"CRM_NATS_URL", url}, {"CRM_NATS_USER", "crm"},
                                     {"CRM_NATS_PASSWORD_FILE", secret.string()}});
  CHECK(eventually([&] { return readiness(good, "nats") == "ok"; }, 15s));
  CHECK_FALSE(log_contains(good, password));

  HostUnderTest refused({"fixture_c"}, {{"CRM_NATS_URL", url}, {"CRM_NATS_USER", "crm"},
                                        {"CRM_NATS_PASSWORD", "wrong"}});
  CHECK(readiness(refused, "nats") != "ok");
}

TEST_CASE("a Redis server that requires AUTH is used with an ACL user and password, and degraded without",
          "[connection-settings]") {
  const int port = free_port();
  const std::string password = "redis-secret-" + random_hex(8);
  ServerProcess redis("redis-server",
                      {"--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                       "--dir", make_temp_dir("crm-redis-auth-").string(), "--requirepass", "unused-" + random_hex(4),
                       "--user", "crm", "on", ">" + password, "~*", "&*", "+@all"},
                      port);
  const fs::path secret = make_temp_dir("crm-secret-") / "redis-password";
  std::ofstream(secret) << password << "\n";

  HostUnderTest good({"fixture_c"}, {{"CRM_REDIS_PORT", std::to_string(port)}, {"CRM_REDIS_USER", "crm"},
                                     {"CRM_REDIS_PASSWORD_FILE", secret.string()}});
  CHECK(readiness(good, "redis") == "ok");
  CHECK_FALSE(log_contains(good, password));

  HostUnderTest refused({"fixture_c"}, {{"CRM_REDIS_PORT", std::to_string(port)}, {"CRM_REDIS_USER", "crm"},
                                        {"CRM_REDIS_PASSWORD", "wrong"}});
  CHECK(readiness(refused, "redis") != "ok");
}

TEST_CASE("a Redis server over TLS is used with its CA and a client certificate, and degraded when not trusted",
          "[connection-settings]") {
  ThrowawayCertificate server, client;
  const int port = free_port();
  // TLS only (no plain port), and a client certificate signed by `client` required.
  ServerProcess redis("redis-server",
                      {"--port", "0", "--tls-port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", make_temp_dir("crm-redis-tls-").string(), "--tls-cert-file",
                       server.cert.string(), "--tls-key-file", server.key.string(), "--tls-ca-cert-file",
                       client.cert.string(), "--tls-auth-clients", "yes"},
                      port);
  std::map<std::string, std::string> settings{{"CRM_REDIS_PORT", std::to_string(port)},
                                              {"CRM_REDIS_TLS", "true"},
                                              {"CRM_REDIS_TLS_CA_FILE", server.cert.string()},
                                              {"CRM_REDIS_TLS_CERT_FILE", client.cert.string()},
                                              {"CRM_REDIS_TLS_KEY_FILE", client.key.string()}};
  {
    HostUnderTest good({"fixture_c"}, settings);
    CHECK(readiness(good, "redis") == "ok");
  }
  {
    // The server's certificate is not signed by the CA the host trusts.
    auto untrusted = settings;
    untrusted["CRM_REDIS_TLS_CA_FILE"] = client.cert.string();
    HostUnderTest host({"fixture_c"}, untrusted);
    CHECK(readiness(host, "redis") != "ok");
    CHECK(readiness(host, "postgres") == "ok"); // degraded, still serving
  }
  {
    // No client certificate: the server ends the handshake.
    auto anonymous = settings;
    anonymous.erase("CRM_REDIS_TLS_CERT_FILE");
    anonymous.erase("CRM_REDIS_TLS_KEY_FILE");
    HostUnderTest host({"fixture_c"}, anonymous);
    CHECK(readiness(host, "redis") != "ok");
  }
  {
    // Plain TCP to the TLS port.
    HostUnderTest host({"fixture_c"}, {{"CRM_REDIS_PORT", std::to_string(port)}});
    CHECK(readiness(host, "redis") != "ok");
  }
}
