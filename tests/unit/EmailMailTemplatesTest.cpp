// The email plugin's templates (plugins/email/MailTemplates.cpp): each kind's
// words, the generic fallback, the digest, and HTML escaping.
#include "email/MailTemplates.hpp"

#include <catch2/catch.hpp>

using email::NotificationText;

TEST_CASE("a price alert is written in the price alert template, in text and in HTML", "[email][unit]") {
  const auto mail = email::render_notification(
      {"PRICE_ALERT", "ACME above 120.00", "ACME traded at 121.50.", "2026-12-07T10:00:00Z"});
  CHECK(mail.subject == "Price alert: ACME above 120.00");
  CHECK(mail.text.find("crossed one of your alert thresholds") != std::string::npos);
  CHECK(mail.text.find("ACME traded at 121.50.") != std::string::npos);
  CHECK(mail.html.find("<h2>ACME above 120.00</h2>") != std::string::npos);
  CHECK(mail.html.find("<p>ACME traded at 121.50.</p>") != std::string::npos);
}

TEST_CASE("a kind without a template of its own gets the generic one", "[email][unit]") {
  const auto mail = email::render_notification({"SOMETHING_NEW", "Hello", "", "2026-12-07T10:00:00Z"});
  CHECK(mail.subject == "Notification: Hello");
  CHECK(mail.text.find("You have a new notification.") == 0);
  CHECK(mail.html.find("<p></p>") == std::string::npos); // no empty body paragraph
}

TEST_CASE("every text from a notification is HTML-escaped in the HTML part and kept as is in the text part",
          "[email][unit]") {
  const auto mail =
      email::render_notification({"TASK_DUE_SOON", "<script>alert('x')</script>", "a & b \"c\"\nnext", "t"});
  CHECK(mail.html.find("<script>") == std::string::npos);
  CHECK(mail.html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") != std::string::npos);
  CHECK(mail.html.find("a &amp; b &quot;c&quot;<br>next") != std::string::npos);
  CHECK(mail.text.find("<script>alert('x')</script>") != std::string::npos);
  CHECK(email::escape_html("plain") == "plain");
}

TEST_CASE("a digest lists its notifications in order under a subject that counts them", "[email][unit]") {
  const std::vector<NotificationText> items{{"PRICE_ALERT", "first", "one", "2026-12-07T08:00:00Z"},
                                            {"OTHER", "second <b>", "", "2026-12-07T09:00:00Z"}};
  const auto mail = email::render_digest(items, "2026-12-07");
  CHECK(mail.subject == "Your daily digest for 2026-12-07: 2 notifications");
  const auto first = mail.text.find("Price alert: first");
  const auto second = mail.text.find("Notification: second <b>");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < second);
  CHECK(mail.html.find("second &lt;b&gt;") != std::string::npos);
  CHECK(email::render_digest({items[0]}, "2026-12-07").subject == "Your daily digest for 2026-12-07: 1 notification");
}
