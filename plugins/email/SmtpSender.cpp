// SmtpSender: see the header.
#include "SmtpSender.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <stdexcept>

namespace email {

namespace {

// The TLS context of STARTTLS, made by prepare_tls at init; read-only after.
Poco::Net::Context::Ptr tls_context;

// An SMTP session on a connected socket whose STARTTLS knows the server's
// name. Poco's SecureSMTPClientSession made from a socket forgets it: no SNI
// in the handshake (a server holding several certificates may show the wrong
// one), and the certificate is matched against the peer's IP address instead
// of the configured host.
class SmtpSession : public Poco::Net::SMTPClientSession {
public:
  SmtpSession(const Poco::Net::StreamSocket& socket, std::string host)
      : Poco::Net::SMTPClientSession(socket), host_(std::move(host)) {}

  // STARTTLS and the handshake; false when the server does not offer it.
  // Throws when the handshake or the certificate check fails.
  bool start_tls(const Poco::Net::Context::Ptr& context) {
    std::string response;
    if (!isPositiveCompletion(sendCommand("STARTTLS", response))) return false;
    // An address is no name for SNI; the certificate is then checked against it.
    Poco::Net::IPAddress literal;
    const std::string name = Poco::Net::IPAddress::tryParse(host_, literal) ? std::string() : host_;
    socket() = Poco::Net::SecureStreamSocket::attach(socket(), name, context);
    return true;
  }

private:
  std::string host_;
};

Poco::Timespan timespan_of(std::chrono::milliseconds ms) { return Poco::Timespan(ms.count() * 1000); }

void login(Poco::Net::SMTPClientSession& session, const EmailSettings& settings) {
  if (settings.smtp_user.empty()) {
    session.login();
    return;
  }
  const auto method = settings.smtp_auth == "LOGIN" ? Poco::Net::SMTPClientSession::AUTH_LOGIN
                                                    : Poco::Net::SMTPClientSession::AUTH_PLAIN;
  session.login(method, settings.smtp_user, settings.smtp_password);
}

// The exception's text without anything the password could be in.
std::string reason_of(const Poco::Exception& e, const EmailSettings& settings) {
  std::string text = e.displayText();
  if (!settings.smtp_password.empty())
    for (size_t at; (at = text.find(settings.smtp_password)) != std::string::npos;)
      text.replace(at, settings.smtp_password.size(), "***");
  return text.substr(0, 500);
}

// QUIT after the server took the message: its failure changes nothing.
void quit(Poco::Net::SMTPClientSession& session) {
  try {
    session.close();
  } catch (const Poco::Exception&) {
  }
}

} // namespace

void prepare_tls(const EmailSettings& settings) {
  if (!settings.smtp_starttls) return;
  Poco::Net::initializeSSL();
  try {
    // With a CA path only its CAs are trusted, not the system's as well.
    tls_context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, settings.smtp_ca_path,
                                         Poco::Net::Context::VERIFY_RELAXED, 9, settings.smtp_ca_path.empty());
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("plugin.email.smtp_ca_path: " + e.displayText());
  }
}

SendResult send_message(const EmailSettings& settings, const Poco::Net::MailMessage& message) {
  try {
    const Poco::Net::SocketAddress address(settings.smtp_host, settings.smtp_port);
    Poco::Net::StreamSocket socket;
    socket.connect(address, timespan_of(settings.timeout));
    SmtpSession session(socket, settings.smtp_host);
    session.setTimeout(timespan_of(settings.timeout));
    if (settings.smtp_starttls) {
      session.login(); // EHLO, to learn whether STARTTLS is offered
      if (!session.start_tls(tls_context)) return {false, "the SMTP server does not offer STARTTLS"};
    }
    login(session, settings); // EHLO (again, over TLS) and AUTH there
    session.sendMessage(message);
    quit(session);
    return {true, {}};
  } catch (const Poco::Exception& e) {
    return {false, reason_of(e, settings)};
  } catch (const std::exception& e) {
    return {false, e.what()};
  }
}

} // namespace email
