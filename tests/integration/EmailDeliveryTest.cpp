// The email plugin against a real host (auth, analytics, email and the
// plugins analytics reads), real PostgreSQL, NATS and Redis, and a real SMTP
// server: the sink scripts/services runs (CRM_SMTP_PORT, CRM_SMTP_SINK_DIR),
// or one of the test's own (scripts/smtp-sink.py) for a server that is down
// first (support/EmailHost.hpp). STARTTLS and logins that succeed are in
// EmailSmtpSenderTest.cpp.
#include "support/EmailHost.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace itest;
using namespace std::chrono_literals;

TEST_CASE("a notification is e-mailed to its user once with its kind's subject and a text and an HTML part, "
          "even when its event comes again",
          "[email]") {
  SharedSink sink;
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", sink.port}});
  const Account user = h.auth.create_user_only("SALES");

  const std::string id = h.notify(user, "PRICE_ALERT", "ACME above 120 <now>", "ACME traded at 121.50 & rising.");
  auto mails = wait_for_mails(sink.folder, user.email, 1);
  REQUIRE(mails.size() == 1);
  const auto& mail = mails[0];
  CHECK(mail.to == "<" + user.email + ">");
  CHECK(mail.subject == "Price alert: ACME above 120 <now>");
  CHECK(contains(mail.content_type, "multipart/alternative"));
  CHECK(contains(mail.message_id, id));
  const auto* text = part_of(mail, "text/plain");
  const auto* html = part_of(mail, "text/html");
  REQUIRE(text);
  REQUIRE(html);
  CHECK(contains(*text, "ACME traded at 121.50 & rising."));
  CHECK(contains(*html, "ACME above 120 &lt;now&gt;"));
  CHECK(contains(*html, "ACME traded at 121.50 &amp; rising."));
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));

  // The event again, past the host's inbox (its row taken out): the delivery
  // row's uniqueness alone keeps the e-mail from going twice.
  const std::string event = h.event_of(id);
  h.sql.query("delete from email.crm_inbox where event_id = $1::uuid", {event});
  replay_event(h.auth, h.sql, "analytics", event);
  h.wait_handled(id);
  CHECK(h.deliveries(user) == 1);
  CHECK(mails_to(sink.folder, user.email).size() == 1);
}

TEST_CASE("a user on NONE gets no e-mail, a muted kind or an old notification is not e-mailed while other kinds are",
          "[email]") {
  SharedSink sink;
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", sink.port}});
  const Account silent = h.auth.create_user("SALES");
  const Account picky = h.auth.create_user("SALES");
  h.set_preferences(silent, R"({"email":"NONE"})");
  h.set_preferences(picky, R"({"email":"INSTANT","mutedKinds":["PRICE_ALERT"]})");

  const std::string to_silent = h.notify(silent, "PRICE_ALERT", "Silent alert");
  const std::string muted = h.notify(picky, "PRICE_ALERT", "Muted alert");
  h.notify(picky, "TASK_DUE_SOON", "Call the customer back");
  // The e-mail that does go out, then the two that must not have.
  auto mails = wait_for_mails(sink.folder, picky.email, 1);
  h.wait_handled(to_silent);
  h.wait_handled(muted);
  // A notification of long ago (as a newly loaded plugin meets the stream's
  // history) is not e-mailed either.
  const std::string old_id = random_uuid();
  const std::string old_event = publish_event(
      h.sql, "notification.created", old_id,
      R"({"id":")" + old_id + R"(","userId":")" + picky.id +
          R"(","kind":"TASK_DUE_SOON","title":"Long ago","body":null,"createdAt":"2020-01-01T00:00:00Z"})",
      "analytics");
  wait_for_inbox(h.sql, "email", old_event, "email__on_notification_created");
  CHECK(h.deliveries(silent) == 0);
  CHECK(h.deliveries(picky) == 1);
  CHECK(mails_to(sink.folder, silent.email).empty());
  mails = mails_to(sink.folder, picky.email);
  REQUIRE(mails.size() == 1);
  CHECK(mails[0].subject == "Task due soon: Call the customer back");
}

TEST_CASE("a user on DAILY_DIGEST gets one digest of the day's notifications when the digest run fires", "[email]") {
  SharedSink sink;
  // From hour 0 on: whenever the test runs, the digest is due.
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", sink.port}, {"CRM_PLUGIN_EMAIL_DIGEST_HOUR_UTC", "0"}});
  const Account user = h.auth.create_user("SALES");
  h.set_preferences(user, R"({"email":"DAILY_DIGEST"})");

  h.wait_handled(h.notify(user, "PRICE_ALERT", "First of the day"));
  h.wait_handled(h.notify(user, "TASK_DUE_SOON", "Second of the day"));
  CHECK(h.sql.count("select count(*) from email.digest_queue where user_id = $1::uuid", {user.id}) == 2);
  CHECK(h.deliveries(user) == 0);
  CHECK(mails_to(sink.folder, user.email).empty());

  auto run = h.calls.call("email.send_digests", "{}");
  REQUIRE(run.ok());
  CHECK(run.reply->getValue<int>("digests") >= 1);
  auto mails = wait_for_mails(sink.folder, user.email, 1);
  REQUIRE(mails.size() == 1);
  CHECK(contains(mails[0].subject, "Your daily digest for "));
  CHECK(contains(mails[0].subject, ": 2 notifications"));
  const auto* text = part_of(mails[0], "text/plain");
  REQUIRE(text);
  CHECK(contains(*text, "First of the day"));
  CHECK(contains(*text, "Second of the day"));
  CHECK(text->find("First of the day") < text->find("Second of the day"));
  REQUIRE(part_of(mails[0], "text/html"));

  // A second run the same day makes nothing more.
  h.wait_handled(h.notify(user, "PRICE_ALERT", "Late in the day"));
  auto again = h.calls.call("email.send_digests", "{}");
  REQUIRE(again.ok());
  CHECK(h.sql.count("select count(*) from email.digests where user_id = $1::uuid", {user.id}) == 1);
  CHECK(h.sql.count("select count(*) from email.digest_queue where user_id = $1::uuid", {user.id}) == 1);
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));
  CHECK(mails_to(sink.folder, user.email).size() == 1);
}

TEST_CASE("an SMTP server that is down, then up, gets each e-mail once", "[email]") {
  const int port = free_port();
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)},
               {"CRM_PLUGIN_EMAIL_RETRY_DELAYS_MS", "200,200,200,200,200,200,200,200,200,200,200,200,200,200,200"}});
  const Account first = h.auth.create_user_only("SALES");
  const Account second = h.auth.create_user_only("SALES");
  h.notify(first, "PRICE_ALERT", "While the server is down");
  h.notify(second, "APPROVAL_ASSIGNED", "Approve the ACME deal");

  // Both tried and failed at least twice, then the server comes up.
  const bool retried = eventually(
      [&] {
        return h.sql.count("select count(*) from email.deliveries where status = 'FAILED' and attempts >= 2 "
                           "and last_error is not null") == 2;
      },
      20s, 50ms);
  INFO(h.sql.scalar("select json_agg(d)::text from email.deliveries d").value_or("none"));
  REQUIRE(retried);
  OwnSink sink(port);
  auto to_first = wait_for_mails(sink.folder(), first.email, 1);
  auto to_second = wait_for_mails(sink.folder(), second.email, 1);
  CHECK(to_first[0].subject == "Price alert: While the server is down");
  CHECK(to_second[0].subject == "Approval needed: Approve the ACME deal");
  CHECK(eventually([&] { return h.deliveries(first, "SENT") + h.deliveries(second, "SENT") == 2; }, 10s));
  CHECK(mails_to(sink.folder(), first.email).size() == 1);
  CHECK(mails_to(sink.folder(), second.email).size() == 1);
}

TEST_CASE("an e-mail the server never takes ends DEAD, listed for an ADMIN, and is sent once when retried", "[email]") {
  const int port = free_port();
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)}, {"CRM_PLUGIN_EMAIL_RETRY_DELAYS_MS", "100,100"}});
  const Account user = h.auth.create_user("SALES");
  h.notify(user, "PRICE_ALERT", "Nobody listens");
  REQUIRE(eventually([&] { return h.deliveries(user, "DEAD") == 1; }, 20s, 50ms));
  CHECK(h.sql.count("select count(*) from email.deliveries where user_id = $1::uuid and attempts = 3", {user.id}) == 1);

  Account admin = h.auth.admin();
  auto dead = items_of(ok_json(h.auth.http(), admin, "GET", "/api/email/deliveries?status=DEAD"));
  REQUIRE(dead.size() == 1);
  CHECK(text_of(dead[0], "to") == user.email);
  CHECK(number_of(dead[0], "attempts") == 3);
  CHECK_FALSE(text_of(dead[0], "lastError").empty());
  CHECK(as(h.auth.http(), user, "GET", "/api/email/deliveries").status == 403);

  OwnSink sink(port);
  ok_json(h.auth.http(), admin, "POST", "/api/email/deliveries/" + text_of(dead[0], "id") + "/retry", "{}", 202);
  auto mails = wait_for_mails(sink.folder(), user.email, 1);
  CHECK(mails[0].subject == "Price alert: Nobody listens");
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));
  CHECK(mails_to(sink.folder(), user.email).size() == 1);
}

TEST_CASE("with STARTTLS asked for, nothing goes in clear to a server that does not offer it, and the SMTP "
          "password is never logged",
          "[email]") {
  SharedSink sink;
  const std::string password = "pw-" + random_hex(16);
  const fs::path password_file = make_temp_dir("email-secret-") / "smtp-password";
  std::ofstream(password_file) << password << "\n";
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", sink.port},
               {"CRM_PLUGIN_EMAIL_SMTP_STARTTLS", "true"},
               {"CRM_PLUGIN_EMAIL_SMTP_USER", "mailer"},
               {"CRM_PLUGIN_EMAIL_SMTP_PASSWORD_FILE", password_file.string()},
               {"CRM_PLUGIN_EMAIL_RETRY_DELAYS_MS", "100"}});
  const Account user = h.auth.create_user_only("SALES");
  h.notify(user, "PRICE_ALERT", "Only over TLS");

  REQUIRE(eventually([&] { return h.deliveries(user, "DEAD") == 1; }, 20s, 50ms));
  auto error = h.sql.scalar("select last_error from email.deliveries where user_id = $1::uuid", {user.id});
  REQUIRE(error);
  CHECK(contains(*error, "STARTTLS"));
  CHECK(mails_to(sink.folder, user.email).empty());
  const std::string log = h.auth.host().process().log();
  CHECK(contains(log, "login mailer password ***"));
  CHECK_FALSE(contains(log, password));
}

TEST_CASE("a server that takes mail only after a login gets it with the configured user and password", "[email]") {
  const int port = free_port();
  const std::string password = "pw-" + random_hex(16);
  OwnSink sink(port, "mailer:" + password);
  EmailHost h({{"CRM_PLUGIN_EMAIL_SMTP_PORT", std::to_string(port)},
               {"CRM_PLUGIN_EMAIL_SMTP_USER", "mailer"},
               {"CRM_PLUGIN_EMAIL_SMTP_PASSWORD", password}});
  const Account user = h.auth.create_user_only("SALES");
  h.notify(user, "TASK_DUE_SOON", "Logged in first");
  auto mails = wait_for_mails(sink.folder(), user.email, 1);
  CHECK(mails[0].subject == "Task due soon: Logged in first");
  CHECK(contains(mails[0].session, "auth=mailer"));
  CHECK(eventually([&] { return h.deliveries(user, "SENT") == 1; }, 10s));
  CHECK_FALSE(contains(h.auth.host().process().log(), password));
}
