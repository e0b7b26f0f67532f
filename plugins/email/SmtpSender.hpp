// SmtpSender: hands one message to the configured SMTP server with Poco's
// SMTPClientSession, upgraded with STARTTLS when plugin.email.smtp_starttls
// is true (the server's certificate checked against the system's CAs, and
// the configured host's name sent in the handshake), logging in when a user
// is set. A connection per message: e-mails are few, and a session never
// outlives a failure.
//
// Never throws: a refusal, a timeout or a server that is down comes back as
// the error text, with the password never in it.
#pragma once

#include "EmailSettings.hpp"

#include <Poco/Net/MailMessage.h>

#include <string>

namespace email {

struct SendResult {
  bool sent = false;
  std::string error; // when not sent: what the server or the connection said
};

SendResult send_message(const EmailSettings& settings, const Poco::Net::MailMessage& message);

} // namespace email
