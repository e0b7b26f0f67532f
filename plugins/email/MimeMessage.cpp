// MimeMessage: see the header.
#include "MimeMessage.hpp"

#include <Poco/Net/MediaType.h>
#include <Poco/Net/StringPartSource.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace email {

namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80 || c == '\r' || c == '\n') return false;
  return true;
}

// The domain of "Name <user@domain>" or "user@domain".
std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return "localhost";
  auto domain = address.substr(at + 1);
  const auto close = domain.find('>');
  if (close != std::string_view::npos) domain = domain.substr(0, close);
  return domain.empty() ? std::string("localhost") : std::string(domain);
}

// A header value with CR and LF taken out: nothing from a notification can add a header.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  return out;
}

} // namespace

std::string message_id_for(const Envelope& envelope) {
  return "<" + envelope.source_id + "." + envelope.user_id + "@" + domain_of(envelope.from) + ">";
}

std::unique_ptr<Poco::Net::MailMessage> build_message(const Envelope& envelope, const RenderedMail& mail) {
  using Poco::Net::MailMessage;
  auto message = std::make_unique<MailMessage>();
  message->setSender(one_line(envelope.from));
  message->addRecipient(Poco::Net::MailRecipient(Poco::Net::MailRecipient::PRIMARY_RECIPIENT, one_line(envelope.to)));
  const std::string subject = one_line(mail.subject);
  message->setSubject(is_ascii(subject) ? subject : MailMessage::encodeWord(subject, "UTF-8"));
  message->setDate(Poco::Timestamp());
  message->set("Message-ID", message_id_for(envelope));
  message->set("Auto-Submitted", "auto-generated");
  // Set before the parts: addPart keeps a multipart type it finds.
  message->setContentType("multipart/alternative");
  message->addPart("text", new Poco::Net::StringPartSource(mail.text, "text/plain; charset=UTF-8"),
                   MailMessage::CONTENT_INLINE, MailMessage::ENCODING_QUOTED_PRINTABLE);
  message->addPart("html", new Poco::Net::StringPartSource(mail.html, "text/html; charset=UTF-8"),
                   MailMessage::CONTENT_INLINE, MailMessage::ENCODING_QUOTED_PRINTABLE);
  return message;
}

std::string message_text(const Poco::Net::MailMessage& message) {
  std::ostringstream out;
  message.write(out);
  return std::move(out).str();
}

} // namespace email
