// SmtpSender: hands one message to the configured SMTP server with Poco's
// SMTPClientSession, upgraded with STARTTLS when plugin.email.smtp_starttls
// is true (the server's certificate checked against the CAs of
// plugin.email.smtp_ca_path, or the system's, and the configured host's name
// sent in the handshake), logging in when a user is set. A connection per
// message: e-mails are few, and a session never outlives a failure.
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

// Makes the TLS context STARTTLS uses (nothing without smtp_starttls); init
// calls it once, before any send. Throws std::invalid_argument naming
// plugin.email.smtp_ca_path when its CAs cannot be loaded.
void prepare_tls(const EmailSettings& settings);

SendResult send_message(const EmailSettings& settings, const Poco::Net::MailMessage& message);

} // namespace email
