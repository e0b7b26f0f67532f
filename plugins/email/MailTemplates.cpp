// MailTemplates: see the header.
#include "MailTemplates.hpp"

#include <array>

namespace email {

namespace {

// The words of one notification kind.
struct KindTemplate {
  std::string_view kind;
  std::string_view subject_prefix; // before the notification's title
  std::string_view lead;           // the first sentence of the body
};

constexpr std::array<KindTemplate, 6> kTemplates{{
    {"PRICE_ALERT", "Price alert", "A price you watch has crossed one of your alert thresholds."},
    {"APPROVAL_ASSIGNED", "Approval needed", "A deal is waiting for your approval."},
    {"APPROVAL_ESCALATED", "Approval escalated", "An approval waited too long and has been escalated to you."},
    {"APPROVAL_APPROVED", "Approved", "A deal you asked approval for has been approved."},
    {"APPROVAL_REJECTED", "Rejected", "A deal you asked approval for has been rejected."},
    {"TASK_DUE_SOON", "Task due soon", "One of your tasks is due soon."},
}};

constexpr KindTemplate kGeneric{"", "Notification", "You have a new notification."};

const KindTemplate& template_of(std::string_view kind) {
  for (const auto& t : kTemplates)
    if (t.kind == kind) return t;
  return kGeneric;
}

constexpr std::string_view kFooter = "You receive this e-mail because of your notification preferences in the CRM.";

// A line of text with its line breaks kept, as HTML.
std::string html_paragraph(std::string_view text) {
  std::string out = "<p>";
  for (char c : escape_html(text)) {
    if (c == '\n')
      out += "<br>";
    else if (c != '\r')
      out.push_back(c);
  }
  return out + "</p>";
}

std::string html_page(std::string_view title, const std::string& content) {
  return "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>" + escape_html(title) +
         "</title></head><body>" + content + "<p style=\"color:#777\">" + std::string(kFooter) +
         "</p></body></html>\r\n";
}

} // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out.push_back(c);
    }
  }
  return out;
}

RenderedMail render_notification(const NotificationText& n) {
  const KindTemplate& t = template_of(n.kind);
  RenderedMail mail;
  mail.subject = std::string(t.subject_prefix) + ": " + n.title;
  mail.text = std::string(t.lead) + "\r\n\r\n" + n.title + "\r\n";
  if (!n.body.empty()) mail.text += "\r\n" + n.body + "\r\n";
  mail.text += "\r\n-- \r\n" + std::string(kFooter) + "\r\n";
  std::string content = html_paragraph(t.lead) + "<h2>" + escape_html(n.title) + "</h2>";
  if (!n.body.empty()) content += html_paragraph(n.body);
  mail.html = html_page(mail.subject, content);
  return mail;
}

RenderedMail render_digest(const std::vector<NotificationText>& items, std::string_view day) {
  RenderedMail mail;
  const std::string count = std::to_string(items.size());
  mail.subject = "Your daily digest for " + std::string(day) + ": " + count +
                 (items.size() == 1 ? " notification" : " notifications");
  mail.text = "Your notifications of the day:\r\n";
  std::string list = "<ul>";
  for (const auto& n : items) {
    const KindTemplate& t = template_of(n.kind);
    mail.text += "\r\n* " + std::string(t.subject_prefix) + ": " + n.title + " (" + n.created_at + ")\r\n";
    if (!n.body.empty()) mail.text += "  " + n.body + "\r\n";
    list += "<li><strong>" + escape_html(t.subject_prefix) + ": " + escape_html(n.title) + "</strong> <small>" +
            escape_html(n.created_at) + "</small>";
    if (!n.body.empty()) list += html_paragraph(n.body);
    list += "</li>";
  }
  list += "</ul>";
  mail.text += "\r\n-- \r\n" + std::string(kFooter) + "\r\n";
  mail.html = html_page(mail.subject, "<h2>" + escape_html(mail.subject) + "</h2>" + list);
  return mail;
}

} // namespace email
