// Deliveries: from notification.created to an e-mail sent exactly once.
//
// 1. on_notification_created (the subscription) decides by the user's
//    preferences: nothing (NONE, or the kind muted), a digest entry
//    (DAILY_DIGEST), or a delivery row rendered now (INSTANT). The row is
//    unique per (notification, user), so a redelivered event, with or without
//    the host's inbox, queues nothing more.
// 2. send_due (a schedule, every second, on one host) picks the rows that are
//    due and has send_one attempt each, in a transaction of its own: lock the
//    row (SKIP LOCKED, so two senders never take the same one), hand it to
//    SMTP, mark it SENT and commit. The only window for a second copy is a
//    crash between the server's "250" and that commit; the copy would carry
//    the same Message-ID (MimeMessage.hpp).
// 3. A failed attempt waits plugin.email.retry_delays_ms before the next one;
//    after the last the row is DEAD: GET /api/email/deliveries?status=DEAD
//    lists them and POST /api/email/deliveries/{id}/retry sends one again.
#include "Handlers.hpp"
#include "MailTemplates.hpp"
#include "MimeMessage.hpp"
#include "SmtpSender.hpp"

#include <crm/sdk/input_rules.hpp>
#include <crm/sdk/json_scan.hpp>
#include <crm/sdk/peer_checks.hpp>

#include <Poco/JSON/Object.h>

namespace email {

namespace {

std::string text_member(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key) || o->isNull(key)) return {};
  return o->get(key).toString();
}

} // namespace

std::optional<std::string> recipient_address(crm::Call& call, const std::string& user_id) {
  const auto user = crm::ask_peer(call, "auth.users_get", user_id, "the recipient's address");
  if (!user) return std::nullopt;
  const auto active = crm::json_scan::member(*user, "active");
  if (!active || *active != "true") return std::nullopt;
  const auto address = crm::json_scan::member(*user, "email");
  if (!address) return std::nullopt;
  const auto plain = crm::json_scan::plain_string(*address);
  if (!plain || plain->empty()) return std::nullopt;
  return std::string(*plain);
}

void on_notification_created(crm::Call& call) {
  const auto data = call.input().object().getObject("data");
  const std::string notification_id = text_member(data, "id");
  const std::string user_id = text_member(data, "userId");
  const std::string kind = text_member(data, "kind");
  if (notification_id.empty() || user_id.empty() || kind.empty())
    throw crm::invalid("data", "a notification needs an id, a userId and a kind");
  const NotificationText n{kind, text_member(data, "title"), text_member(data, "body"), text_member(data, "createdAt")};

  // One row whether or not the user has preferences (INSTANT, nothing muted, when not).
  auto facts =
      call.sql("select coalesce(p.email, 'INSTANT') as email, coalesce($2 = any(p.muted_kinds), false) as muted, "
               "$4::int > 0 and nullif($3, '')::timestamptz < now() - make_interval(hours => $4::int) as stale "
               "from (select 1) one left join preferences p on p.user_id = $1::uuid",
               {user_id, kind, n.created_at, settings().max_age_hours});
  const std::string mode(*facts.at(0, "email"));
  if (mode == "NONE" || *facts.at(0, "muted") == "t") return;
  // A subscription starts at the stream's first event: a plugin loaded into a
  // platform with a history would otherwise e-mail every old notification.
  if (facts.at(0, "stale").value_or("f") == "t") return;

  if (mode == "DAILY_DIGEST") {
    call.sql("insert into digest_queue (user_id, notification_id, kind, title, body, created_at) "
             "values ($1::uuid, $2::uuid, $3, $4, $5, $6) on conflict do nothing",
             {user_id, notification_id, n.kind, n.title, n.body, n.created_at});
    return;
  }
  // Already queued (a repeat of the event): no second look-up, no second row.
  if (!call.sql("select 1 from deliveries where source_id = $1::uuid and user_id = $2::uuid",
                {notification_id, user_id})
           .empty())
    return;
  const auto address = recipient_address(call, user_id);
  if (!address) return; // no such user any more, or inactive: nobody to write to
  const RenderedMail mail = render_notification(n);
  call.sql("insert into deliveries (source_id, user_id, kind, to_address, subject, text_body, html_body) "
           "values ($1::uuid, $2::uuid, $3, $4, $5, $6, $7) on conflict (source_id, user_id) do nothing",
           {notification_id, user_id, n.kind, *address, mail.subject, mail.text, mail.html});
}

// Stops at the first failure: a server that is down or refusing would only
// fail the rest of the batch too (and each try may take the whole timeout).
void send_due(crm::Call& call) {
  auto due = call.sql("select id from deliveries where status in ('PENDING', 'FAILED') and next_attempt_at <= now() "
                      "order by next_attempt_at limit $1",
                      {settings().batch});
  std::vector<std::string> ids;
  for (size_t i = 0; i < due.size(); ++i) ids.emplace_back(*due.at(i, 0));
  int sent = 0;
  for (const auto& id : ids) {
    const std::string reply = call.invoke("email.send_one", crm::JsonObject().field("id", id).str());
    const auto ok = crm::json_scan::member(reply, "sent");
    if (!ok || *ok != "true") break;
    ++sent;
  }
  call.reply(crm::JsonObject().field("due", static_cast<int64_t>(ids.size())).field("sent", sent).str());
}

void send_one(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql("select source_id, user_id, to_address, subject, text_body, html_body, attempts from deliveries "
                       "where id = $1::uuid and status in ('PENDING', 'FAILED') and next_attempt_at <= now() "
                       "for update skip locked",
                       {id});
  if (rows.empty()) { // sent meanwhile, or another sender holds it
    call.reply(R"({"sent":false,"skipped":true})");
    return;
  }
  const EmailSettings& s = settings();
  const Envelope envelope{s.from, std::string(*rows.at(0, "to_address")), std::string(*rows.at(0, "source_id")),
                          std::string(*rows.at(0, "user_id"))};
  const RenderedMail mail{std::string(*rows.at(0, "subject")), std::string(*rows.at(0, "text_body")),
                          std::string(*rows.at(0, "html_body"))};
  const int attempts = std::stoi(std::string(*rows.at(0, "attempts"))) + 1;
  const SendResult result = send_message(s, *build_message(envelope, mail));
  if (result.sent) {
    call.sql("update deliveries set status = 'SENT', attempts = $2, last_error = null, sent_at = now() "
             "where id = $1::uuid",
             {id, attempts});
    call.reply(R"({"sent":true})");
    return;
  }
  const bool dead = attempts >= s.max_attempts();
  call.sql(
      "update deliveries set status = $3, attempts = $2, last_error = $4, "
      "next_attempt_at = now() + make_interval(secs => $5::double precision / 1000) where id = $1::uuid",
      {id, attempts, dead ? "DEAD" : "FAILED", result.error, static_cast<int64_t>(s.delay_after(attempts).count())});
  call.log(dead ? CRM_LOG_ERROR : CRM_LOG_WARN, "e-mail " + id +
                                                    (dead ? " is dead after attempt " : " failed, attempt ") +
                                                    std::to_string(attempts) + ": " + result.error);
  call.reply(R"({"sent":false})");
}

void list_deliveries(crm::Call& call) {
  const auto status = crm::optional_choice(call.input(), "status", {"PENDING", "SENT", "FAILED", "DEAD"});
  const std::int64_t limit = crm::page_limit(call.input());
  auto rows = call.sql("select delivery_json(d) from deliveries d where $1::text is null or d.status = $1 "
                       "order by d.created_at desc, d.id desc limit $2",
                       {status, limit});
  std::string out = "{\"items\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += *rows.at(i, 0);
  }
  call.reply(out + "]}");
}

void retry_delivery(crm::Call& call) {
  const std::string id = crm::required_uuid(call.input(), "id");
  auto rows = call.sql("select status from deliveries where id = $1::uuid for update", {id});
  if (rows.empty()) throw crm::not_found("delivery");
  if (*rows.at(0, 0) != "DEAD") throw crm::conflict("only a DEAD delivery can be retried");
  auto updated = call.sql("update deliveries d set status = 'PENDING', attempts = 0, next_attempt_at = now() "
                          "where id = $1::uuid returning delivery_json(d)",
                          {id});
  call.reply(*updated.at(0, 0));
}

} // namespace email
