// AnalyticsHost: what the Analytics*Test files share. A crm-host with the
// shipped auth, customer, sales and analytics plugins (and, when a test asks,
// workflow files of its own), calls as a user, and ways to watch the event
// path without sleeping blindly:
//  - publish_event() writes an event into the platform's outbox, from where
//    the real relay publishes it to the real consumers. It stands in for a
//    producer the test does not run (the opportunity plugin's approval.*
//    events), or replays history in an order of the test's choosing;
//  - inbox_has() tells that a consumer has finished with an event (the
//    invoker writes the inbox row in the handler's own transaction);
//  - replay_event() sends an event again through the dead letters' replay,
//    which publishes it anew to every consumer of its type.
#pragma once

#include "support/AuthHost.hpp"
#include "support/Checks.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace itest {

// The text of the shipped workflows/<file>, for a test to run as it ships.
inline std::string shipped_workflow(const std::string& file) {
  std::ifstream in(fs::path(CRM_SOURCE_DIR) / "workflows" / file);
  std::stringstream text;
  text << in.rdbuf();
  INFO("workflows/" << file << " should exist and not be empty");
  REQUIRE(!text.str().empty());
  return text.str();
}

// The plugins the analytics tests run (auth, customer, sales, analytics and
// `more`), and the workflow files given as {file name, Lua source}.
inline AuthHostOptions analytics_options(const std::map<std::string, std::string>& workflows = {},
                                         const std::vector<std::string>& more = {}) {
  AuthHostOptions options;
  const fs::path plugins = make_temp_dir("analytics-plugins-");
  for (const char* name : {"auth", "customer", "sales", "analytics"}) copy_shipped_plugin(name, plugins);
  for (const auto& name : more) copy_shipped_plugin(name, plugins);
  const fs::path dir = make_temp_dir("analytics-workflows-");
  for (const auto& [file, source] : workflows) std::ofstream(dir / file) << source;
  options.env["CRM_PLUGINS_DIR"] = plugins.string();
  options.env["CRM_WORKFLOWS_DIR"] = dir.string();
  options.env["CRM_WORKFLOWS_POLL_MS"] = "100";
  return options;
}

inline Response as(Http& http, const Account& who, const std::string& method, const std::string& path,
                   const std::string& body = "") {
  Headers h{{"Authorization", bearer(who.access_token)}};
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  return http.request(method, path, body, h);
}

// A request that must answer `status`; returns the JSON body.
inline Poco::JSON::Object::Ptr ok_json(Http& http, const Account& who, const std::string& method,
                                       const std::string& path, const std::string& body = "", int status = 200) {
  auto r = as(http, who, method, path, body);
  INFO(method << " " << path << " " << body << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == status);
  return r.json();
}

inline std::vector<Poco::JSON::Object::Ptr> items_of(const Poco::JSON::Object::Ptr& reply) {
  std::vector<Poco::JSON::Object::Ptr> out;
  auto items = reply->getArray("items");
  REQUIRE(items);
  for (size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(static_cast<unsigned>(i)));
  return out;
}

inline long long number_of(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  REQUIRE(o);
  INFO("field " << key);
  REQUIRE(o->has(key));
  return o->getValue<long long>(key);
}

inline double amount_of(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  REQUIRE(o);
  INFO("field " << key);
  REQUIRE(o->has(key));
  return o->getValue<double>(key);
}

// Writes an event into platform.crm_outbox (source `source`, the time now
// or `time`, RFC 3339) and wakes the relay; returns the event id.
inline std::string publish_event(Sql& sql, const std::string& type, const std::string& subject,
                                 const std::string& data_json, const std::string& source = "opportunity",
                                 const std::string& time = "") {
  auto id = sql.scalar("insert into platform.crm_outbox (id, type, source, subject, actor, data, created_at) "
                       "values (gen_random_uuid(), $1, $2, $3, 'system', $4::jsonb, coalesce($5::timestamptz, now())) "
                       "returning id::text",
                       {type, source, subject, data_json, time.empty() ? SqlValue{} : SqlValue{time}});
  REQUIRE(id);
  sql.query("select pg_notify('crm_outbox', '')");
  return *id;
}

// True once `consumer` (e.g. analytics__notify_task_due_soon) has committed
// its handling of the event.
inline bool inbox_has(Sql& sql, const std::string& schema, const std::string& event_id, const std::string& consumer) {
  return sql.count("select count(*) from " + schema + ".crm_inbox where event_id = $1::uuid and consumer = $2",
                   {event_id, consumer}) == 1;
}

inline void wait_for_inbox(Sql& sql, const std::string& schema, const std::string& event_id,
                           const std::string& consumer, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  INFO("waiting for " << consumer << " to handle event " << event_id);
  REQUIRE(eventually([&] { return inbox_has(sql, schema, event_id, consumer); }, timeout));
}

// Publishes the event `event_id` of `schema`'s outbox again, through a dead
// letter and its replay (as an ADMIN would): every consumer of its type
// receives it once more.
inline void replay_event(AuthHost& auth, Sql& sql, const std::string& schema, const std::string& event_id) {
  auto envelope = sql.scalar(
      "select json_build_object('id', id, 'type', type, 'source', source, 'time', to_char(created_at at time zone "
      "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'subject', subject, 'actor', actor, 'traceparent', traceparent, "
      "'data', data)::text from " +
          schema + ".crm_outbox where id = $1::uuid",
      {event_id});
  REQUIRE(envelope);
  auto letter = sql.scalar("insert into platform.dead_letters (id, consumer, operation, event_id, event_type, "
                           "envelope, error, attempts) select gen_random_uuid(), 'test', 'test', "
                           "($1::jsonb ->> 'id')::uuid, $1::jsonb ->> 'type', $1::jsonb, 'replayed by the test', 1 "
                           "returning id::text",
                           {*envelope});
  REQUIRE(letter);
  auto replay = auth.call("POST", "/api/events/dlq/" + *letter + "/replay", "", auth.admin().access_token);
  INFO(replay.body);
  REQUIRE(replay.status == 202);
}

// Dates relative to now, UTC.
inline std::string utc_time(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}
inline std::string utc_date(std::chrono::system_clock::time_point t) { return utc_time(t).substr(0, 10); }

} // namespace itest
