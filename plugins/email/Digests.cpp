// Digests: email.send_digests (a schedule, every five minutes, on one host)
// makes the day's digest of each user with notifications waiting, from
// plugin.email.digest_hour_utc on, once per user and day. Making a digest is
// one transaction: the digest row (unique per user and day), the queue
// entries it takes and its delivery row commit together, so a digest is
// neither lost nor made twice; email.send_due then sends it like any e-mail.
#include "Handlers.hpp"
#include "MailTemplates.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace email {

namespace {

// At most this many users' digests per run; the next run takes the rest.
constexpr int kUsersPerRun = 200;

std::vector<NotificationText> items_of(std::string_view json) {
  Poco::JSON::Parser parser;
  auto array = parser.parse(std::string(json)).extract<Poco::JSON::Array::Ptr>();
  std::vector<NotificationText> items;
  for (size_t i = 0; array && i < array->size(); ++i) {
    auto o = array->getObject(static_cast<unsigned>(i));
    items.push_back({o->getValue<std::string>("kind"), o->getValue<std::string>("title"),
                     o->getValue<std::string>("body"), o->getValue<std::string>("createdAt")});
  }
  return items;
}

// One user's digest for today; false when there was none to make.
bool make_digest(crm::Call& call, const std::string& user_id, const std::string& address) {
  auto taken = call.sql(R"sql(
    with made as (
      insert into digests (user_id, day) values ($1::uuid, (now() at time zone 'UTC')::date)
      on conflict do nothing returning id, day),
    taken as (
      delete from digest_queue q where q.user_id = $1::uuid and exists (select 1 from made)
      returning q.kind, q.title, q.body, q.created_at, q.queued_at)
    select made.id, made.day::text as day,
           (select json_agg(json_build_object('kind', kind, 'title', title, 'body', body, 'createdAt', created_at)
                            order by queued_at) from taken) as items
    from made)sql",
                        {user_id});
  if (taken.empty() || !taken.at(0, "items")) return false;
  const std::string digest_id(*taken.at(0, "id"));
  const RenderedMail mail = render_digest(items_of(*taken.at(0, "items")), *taken.at(0, "day"));
  call.sql("insert into deliveries (source_id, user_id, kind, to_address, subject, text_body, html_body) "
           "values ($1::uuid, $2::uuid, 'DIGEST', $3, $4, $5, $6)",
           {digest_id, user_id, address, mail.subject, mail.text, mail.html});
  return true;
}

} // namespace

void send_digests(crm::Call& call) {
  auto users = call.sql(R"sql(
    select distinct q.user_id from digest_queue q
    where extract(hour from now() at time zone 'UTC') >= $1
      and not exists (select 1 from digests d where d.user_id = q.user_id
                                                and d.day = (now() at time zone 'UTC')::date)
    limit $2)sql",
                        {settings().digest_hour_utc, kUsersPerRun});
  std::vector<std::string> ids;
  for (size_t i = 0; i < users.size(); ++i) ids.emplace_back(*users.at(i, 0));
  int made = 0;
  for (const auto& user_id : ids) {
    const auto address = recipient_address(call, user_id);
    if (!address) { // nobody to write to: the entries would wait forever
      call.sql("delete from digest_queue where user_id = $1::uuid", {user_id});
      continue;
    }
    if (make_digest(call, user_id, *address)) ++made;
  }
  call.reply(crm::JsonObject().field("digests", made).str());
}

} // namespace email
