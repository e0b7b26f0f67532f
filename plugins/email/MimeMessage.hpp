// MimeMessage: the message handed to SMTP for one e-mail: From, To, a Subject
// encoded for any characters, a Message-ID and a multipart/alternative body
// with the plain-text part first and the HTML part last (clients show the
// last part they can), both UTF-8 in quoted-printable.
//
// The Message-ID is derived from what the e-mail is about (the notification
// or digest id and the recipient), never random: if the process dies after
// the SMTP server accepted a message and before its delivery row was marked
// SENT, the repeat carries the same Message-ID, which receiving servers and
// clients use to drop duplicates.
//
// Pure logic over Poco::Net::MailMessage (no I/O); tested in
// tests/unit/EmailMimeMessageTest.cpp.
#pragma once

#include "MailTemplates.hpp"

#include <Poco/Net/MailMessage.h>

#include <memory>
#include <string>
#include <string_view>

namespace email {

struct Envelope {
  std::string from;      // "CRM <crm@localhost>" or "crm@localhost"
  std::string to;        // the recipient's address
  std::string source_id; // the notification's or the digest's id
  std::string user_id;   // the recipient's user id
};

// "<source.user@domain>", the domain being the sender's (or "localhost").
std::string message_id_for(const Envelope& envelope);

std::unique_ptr<Poco::Net::MailMessage> build_message(const Envelope& envelope, const RenderedMail& mail);

// The message as it goes on the wire (for tests and logs).
std::string message_text(const Poco::Net::MailMessage& message);

} // namespace email
