// EmailHost: what the Email*Test files share. A crm-host with auth,
// analytics (and the plugins it reads) and email, notifications made by
// analytics.notify as the host would call it (support/SystemCalls.hpp), and
// the SMTP servers they go to: the sink scripts/services runs (SharedSink,
// CRM_SMTP_PORT and CRM_SMTP_SINK_DIR) or one of the test's own (OwnSink,
// scripts/smtp-sink.py, optionally with STARTTLS and a login). What a server
// received is read from its folder, one file per message, and parsed as a
// mail reader would.
#pragma once

#include "support/AnalyticsHost.hpp"
#include "support/SystemCalls.hpp"
#include "support/ThrowawayCertificate.hpp"

#include <catch2/catch.hpp>

#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <csignal>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace itest {

// One message the SMTP server received, parsed.
struct ReceivedMail {
  std::string envelope_to; // X-Sink-Rcpt-To: what the client sent in RCPT TO
  std::string session;     // X-Sink-Session: "tls=... sni=... auth=..." (sinks with TLS or a login)
  std::string to;
  std::string subject;
  std::string message_id;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> parts; // {content type, decoded body}
};

class MailPartCollector : public Poco::Net::PartHandler {
public:
  explicit MailPartCollector(ReceivedMail& mail) : mail_(mail) {}
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    std::string body;
    Poco::StreamCopier::copyToString(stream, body);
    mail_.parts.emplace_back(header.get("Content-Type", ""), body);
  }

private:
  ReceivedMail& mail_;
};

inline ReceivedMail parse_mail(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  ReceivedMail mail;
  Poco::Net::MailMessage message;
  MailPartCollector parts(mail);
  message.read(in, parts);
  mail.envelope_to = message.get("X-Sink-Rcpt-To", "");
  mail.session = message.get("X-Sink-Session", "");
  mail.to = message.get("To", "");
  mail.subject = message.getSubject();
  mail.message_id = message.get("Message-ID", "");
  mail.content_type = message.getContentType();
  return mail;
}

// The messages in `folder` (a sink's) whose envelope recipient is `address`.
inline std::vector<ReceivedMail> mails_to(const fs::path& folder, const std::string& address) {
  std::vector<ReceivedMail> out;
  if (!fs::exists(folder)) return out;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || entry.path().extension() != ".eml") continue; // not yet whole
    auto mail = parse_mail(entry.path());
    if (mail.envelope_to == address) out.push_back(std::move(mail));
  }
  return out;
}

inline std::vector<ReceivedMail> wait_for_mails(const fs::path& folder, const std::string& address, size_t n,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::vector<ReceivedMail> mails;
  const bool arrived = eventually([&] { return (mails = mails_to(folder, address)).size() >= n; }, timeout,
                                  std::chrono::milliseconds(50));
  INFO("waiting for " << n << " e-mail(s) to " << address << " in " << folder);
  REQUIRE(arrived);
  return mails;
}

inline const std::string* part_of(const ReceivedMail& mail, const std::string& type) {
  for (const auto& [content_type, body] : mail.parts)
    if (content_type.rfind(type, 0) == 0) return &body;
  return nullptr;
}

// The sink of scripts/services, which every test shares (each writes to
// addresses of its own).
struct SharedSink {
  std::string port = env_or("CRM_SMTP_PORT");
  fs::path folder = env_or("CRM_SMTP_SINK_DIR");
  SharedSink() {
    if (port.empty() || folder.empty())
      FAIL("CRM_SMTP_PORT / CRM_SMTP_SINK_DIR are not set: start scripts/services (it runs the SMTP sink) and "
           "export its env");
  }
};

// What an OwnSink asks of its clients (scripts/smtp-sink.py's options).
struct SinkOptions {
  std::string login; // "user:password": mail only after that AUTH
  fs::path tls_cert; // with tls_key: STARTTLS offered with this certificate
  fs::path tls_key;
  bool require_tls = false; // no mail before STARTTLS
};

// An SMTP sink of the test's own on 127.0.0.1:`port`, listening from the
// moment it is made until it is destroyed; its log is shown if the test fails.
class OwnSink {
public:
  // `login` ("user:password"): it takes mail only after that AUTH.
  explicit OwnSink(int port, const std::string& login = {}) : OwnSink(port, SinkOptions{login, {}, {}, false}) {}
  OwnSink(int port, const SinkOptions& options) {
    const fs::path dir = make_temp_dir("email-sink-");
    folder_ = dir / "mail";
    const fs::path log = dir / "smtp-sink.log";
    TestArtifacts::instance().add_log("smtp sink on port " + std::to_string(port), log);
    // -W ignore: aiosmtpd warns of AUTH without TLS, which is what a test asks for.
    Poco::Process::Args args{"-c",
                             R"(log=$1; shift; exec /usr/bin/python3 -W ignore "$@" >>"$log" 2>&1)",
                             "sh",
                             log.string(),
                             std::string(CRM_SOURCE_DIR) + "/scripts/smtp-sink.py",
                             std::to_string(port),
                             folder_.string()};
    if (!options.login.empty()) args.insert(args.end(), {"--login", options.login});
    if (!options.tls_cert.empty())
      args.insert(args.end(), {"--tls-cert", options.tls_cert.string(), "--tls-key", options.tls_key.string()});
    if (options.require_tls) args.push_back("--require-tls");
    handle_.emplace(Poco::Process::launch("/bin/sh", args));
    const bool up = eventually(
        [&] {
          try {
            Poco::Net::StreamSocket s;
            s.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)),
                      Poco::Timespan(0, 200000));
            return true;
          } catch (const Poco::Exception&) {
            return false;
          }
        },
        std::chrono::seconds(10), std::chrono::milliseconds(20));
    INFO("scripts/smtp-sink.py should listen on 127.0.0.1:" << port << "; its log: " << tail_of_file(log, 20));
    REQUIRE(up);
  }
  ~OwnSink() {
    ::kill(handle_->id(), SIGTERM);
    handle_->wait();
  }
  OwnSink(const OwnSink&) = delete;
  OwnSink& operator=(const OwnSink&) = delete;
  const fs::path& folder() const { return folder_; }

private:
  fs::path folder_;
  std::optional<Poco::ProcessHandle> handle_;
};

inline constexpr const char* kSystemCallFile = "system_call.lua";

// A host with auth, analytics (and what it reads) and email, the e-mail
// settings of `email_env` (CRM_PLUGIN_EMAIL_*) and `extra_config` (lines for
// keys config/crm-host.properties lacks), and the system_call workflow.
struct EmailHost {
  AuthHost auth;
  SystemCalls calls;
  Sql sql;

  explicit EmailHost(std::map<std::string, std::string> email_env, std::vector<std::string> extra_config = {})
      : auth(options(std::move(email_env), std::move(extra_config))), calls(auth.host(), auth.admin().access_token),
        sql(auth.host().sql()) {
    calls.wait_until_ready();
  }

  static AuthHostOptions options(std::map<std::string, std::string> email_env, std::vector<std::string> extra_config) {
    auto o = analytics_options({{kSystemCallFile, kSystemCallWorkflow}}, {"email"});
    o.env["CRM_PLUGIN_EMAIL_SMTP_HOST"] = "127.0.0.1";
    o.env["CRM_PLUGIN_EMAIL_SMTP_FROM"] = "CRM Test <crm@example.com>";
    for (auto& [k, v] : email_env) o.env[k] = v;
    o.extra_config = std::move(extra_config);
    return o;
  }

  // analytics.notify for one user; returns the notification's id.
  std::string notify(const Account& user, const std::string& kind, const std::string& title,
                     const std::string& body = "") {
    Poco::JSON::Object n;
    n.set("userId", user.id);
    n.set("kind", kind);
    n.set("title", title);
    if (!body.empty()) n.set("body", body);
    Poco::JSON::Array list;
    list.add(n);
    Poco::JSON::Object args;
    args.set("key", random_uuid());
    args.set("notifications", list);
    auto answer = calls.call("analytics.notify", json_of(args));
    INFO(answer.status << " " << answer.message);
    REQUIRE(answer.ok());
    auto id = sql.scalar("select id::text from analytics.notifications where user_id = $1::uuid and title = $2",
                         {user.id, title});
    REQUIRE(id);
    return *id;
  }

  // The id of notification.created for `notification_id` in analytics' outbox.
  std::string event_of(const std::string& notification_id) {
    auto id = sql.scalar("select id::text from analytics.crm_outbox where type = 'notification.created' and "
                         "subject = $1",
                         {notification_id});
    REQUIRE(id);
    return *id;
  }

  void wait_handled(const std::string& notification_id) {
    wait_for_inbox(sql, "email", event_of(notification_id), "email__on_notification_created");
  }

  void set_preferences(const Account& user, const std::string& body) {
    ok_json(auth.http(), user, "PUT", "/api/notifications/preferences", body);
  }

  long long deliveries(const Account& user, const std::string& status = "") {
    return sql.count("select count(*) from email.deliveries where user_id = $1::uuid and ($2 = '' or status = $2)",
                     {user.id, status});
  }
};

} // namespace itest
