// The email plugin's SMTP sender (plugins/email/SmtpSender.cpp) over
// STARTTLS with a login, against sinks of the test's own that offer STARTTLS
// with a certificate made at test time (openssl) and want AUTH over TLS. The
// sink writes how each message came (TLS version, the name the client asked
// for, the user logged in) into the message's file, so a delivery proves its
// handshake and its login. Helpers: support/EmailHost.hpp.
#include "support/EmailHost.hpp"

#include <catch2/catch.hpp>

#include <Poco/Net/SocketAddress.h>

using namespace itest;
using namespace std::chrono_literals;

namespace {

// A sink that takes mail only over TLS (with `certificate`) and after AUTH
// as `login` ("user:password"), as a submission relay does.
SinkOptions strict_relay(const ThrowawayCertificate& certificate, const std::string& login) {
  return {.login = login, .tls_cert = certificate.cert, .tls_key = certificate.key, .require_tls = true};
}

// Whether "localhost" is 127.0.0.1 first here (the sinks listen there alone),
// so that a test can name the server and see the name in the handshake.
bool localhost_is_ipv4_loopback() {
  try {
    return Poco::Net::SocketAddress("localhost", 25).host().toString() == "127.0.0.1";
  } catch (const Poco::Exception&) {
    return false;
  }
}

} // namespace

TEST_CASE("an e-mail goes over STARTTLS and AUTH to a server that requires both, trusted through "
          "plugin.email.smtp_ca_path, with the server's name in the handshake",
          "[email]") {
  ThrowawayCertificate certificate;
  const int port = free_port();
  const std::string password = "pw-" + random_hex(16);
  OwnSink sink(port, strict_relay(certificate, "mailer:" + password));
  const bool named = localhost_is_ipv4_loopback();
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_HOST", named ? "localhost" : "127.0.0.1"},
               {"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)},
               {"CRM_PLUGIN_EMAIL_SMTP_STARTTLS", "true"},
               {"CRM_PLUGIN_EMAIL_SMTP_USER", "mailer"},
               {"CRM_PLUGIN_EMAIL_SMTP_PASSWORD", password}},
              {"plugin.email.smtp_ca_path = " + certificate.cert.string()});
  const Account user = h.auth.create_user_only("SALES");
  h.notify(user, "PRICE_ALERT", "ACME above 120, sent sealed");

  auto mails = wait_for_mails(sink.folder(), user.email, 1);
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].subject == "Price alert: ACME above 120, sent sealed");
  INFO("X-Sink-Session: " << mails[0].session);
  CHECK(starts_with(mails[0].session, "tls=TLSv1."));
  CHECK(contains(mails[0].session, " auth=mailer"));
  if (named) {
    CHECK(contains(mails[0].session, " sni=localhost "));
  } else {
    WARN("localhost is not 127.0.0.1 first on this machine: the server's name in the handshake is not checked");
  }
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));
  const std::string log = h.auth.host().process().log();
  CHECK(contains(log, "STARTTLS (CAs: " + certificate.cert.string() + ")"));
  CHECK_FALSE(contains(log, password));
}

TEST_CASE("a wrong SMTP password is refused over TLS, the e-mail ends DEAD after its attempts and, retried once the "
          "server takes that password, goes out once",
          "[email]") {
  ThrowawayCertificate certificate;
  const int port = free_port();
  const std::string right = "right-" + random_hex(16);
  const std::string wrong = "wrong-" + random_hex(16);
  std::optional<OwnSink> sink;
  sink.emplace(port, strict_relay(certificate, "mailer:" + right));
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)},
               {"CRM_PLUGIN_EMAIL_SMTP_STARTTLS", "true"},
               {"CRM_PLUGIN_EMAIL_SMTP_USER", "mailer"},
               {"CRM_PLUGIN_EMAIL_SMTP_PASSWORD", wrong},
               {"CRM_PLUGIN_EMAIL_RETRY_DELAYS_MS", "100,100"}},
              {"plugin.email.smtp_ca_path = " + certificate.cert.string()});
  const Account user = h.auth.create_user_only("SALES");
  h.notify(user, "TASK_DUE_SOON", "Call back, once");

  // Three attempts (two delays), each through the handshake to AUTH's 535.
  REQUIRE(eventually([&] { return h.deliveries(user, "DEAD") == 1; }, 20s, 50ms));
  CHECK(h.sql.count("select count(*) from email.deliveries where user_id = $1::uuid and attempts = 3", {user.id}) == 1);
  const auto error = h.sql.scalar("select last_error from email.deliveries where user_id = $1::uuid", {user.id});
  REQUIRE(error);
  INFO("last_error: " << *error);
  CHECK(contains(*error, "535"));
  CHECK_FALSE(contains(*error, wrong));
  CHECK(mails_to(sink->folder(), user.email).empty());

  // The relay's account is given the password the platform has; an ADMIN
  // sends the dead e-mail again, and it goes out once.
  sink.reset();
  sink.emplace(port, strict_relay(certificate, "mailer:" + wrong));
  Account admin = h.auth.admin();
  auto dead = items_of(ok_json(h.auth.http(), admin, "GET", "/api/email/deliveries?status=DEAD"));
  REQUIRE(dead.size() == 1);
  ok_json(h.auth.http(), admin, "POST", "/api/email/deliveries/" + text_of(dead[0], "id") + "/retry", "{}", 202);
  auto mails = wait_for_mails(sink->folder(), user.email, 1);
  CHECK(mails[0].subject == "Task due soon: Call back, once");
  CHECK(starts_with(mails[0].session, "tls=TLSv1."));
  CHECK(contains(mails[0].session, " auth=mailer"));
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));
  CHECK(h.deliveries(user) == 1);
  CHECK(mails_to(sink->folder(), user.email).size() == 1);
  const std::string log = h.auth.host().process().log();
  CHECK_FALSE(contains(log, wrong));
  CHECK_FALSE(contains(log, right));
}

TEST_CASE("a server whose certificate is not trusted gets no e-mail, neither over TLS nor in clear", "[email]") {
  ThrowawayCertificate certificate;
  const int port = free_port();
  // STARTTLS offered but not required, and no login: a client that gave up on
  // the handshake and went on in clear would get its e-mail in.
  OwnSink sink(port, {.login = {}, .tls_cert = certificate.cert, .tls_key = certificate.key, .require_tls = false});
  // No smtp_ca_path: the system's CAs, which know nothing of this certificate.
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)},
               {"CRM_PLUGIN_EMAIL_SMTP_STARTTLS", "true"},
               {"CRM_PLUGIN_EMAIL_RETRY_DELAYS_MS", "100"}});
  const Account user = h.auth.create_user_only("SALES");
  h.notify(user, "PRICE_ALERT", "Not for strangers");

  REQUIRE(eventually([&] { return h.deliveries(user, "DEAD") == 1; }, 20s, 50ms));
  CHECK(h.sql.count("select count(*) from email.deliveries where user_id = $1::uuid and attempts = 2", {user.id}) == 1);
  const auto error = h.sql.scalar("select last_error from email.deliveries where user_id = $1::uuid", {user.id});
  REQUIRE(error);
  INFO("last_error: " << *error);
  CHECK(contains_nocase(*error, "certificate"));
  CHECK(mails_to(sink.folder(), user.email).empty());
}
