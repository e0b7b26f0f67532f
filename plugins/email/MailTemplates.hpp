// MailTemplates: what an e-mail about a notification says. One template per
// notification kind the platform raises (a subject line and a lead sentence
// in the words of that kind), a generic one for any other kind, and the daily
// digest that lists several notifications. Each renders a plain-text and an
// HTML body; every text that came from a notification is HTML-escaped in the
// HTML body, so a title such as "<script>" arrives as text.
//
// Pure logic: no I/O, no host; tested in tests/unit/EmailMailTemplatesTest.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace email {

// The parts of a notification an e-mail shows (notification.created's data).
struct NotificationText {
  std::string kind;
  std::string title;
  std::string body;       // may be empty
  std::string created_at; // RFC 3339, as the notification has it
};

struct RenderedMail {
  std::string subject;
  std::string text;
  std::string html;
};

// The e-mail about one notification, in the template of its kind.
RenderedMail render_notification(const NotificationText& n);

// One e-mail listing `items` (oldest first), for the day `day` ("2026-12-07").
RenderedMail render_digest(const std::vector<NotificationText>& items, std::string_view day);

// Text safe inside HTML element content and attribute values.
std::string escape_html(std::string_view text);

} // namespace email
