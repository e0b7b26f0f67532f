// DeadLetters: see the header.
#include "events/DeadLetters.hpp"

#include "log/Log.hpp"

#include <Poco/UUIDGenerator.h>

namespace crm::events {

void DeadLetters::add(const std::string& consumer, const std::string& operation, const std::string& event_id,
                      const std::string& event_type, std::string_view envelope, const std::string& error,
                      int attempts) {
  const std::string id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
  const std::string body(envelope), tries = std::to_string(attempts);
  // An envelope that is not JSON is kept as a JSON string.
  const char* params[] = {id.c_str(),   consumer.c_str(), operation.c_str(), event_id.c_str(), event_type.c_str(),
                          body.c_str(), error.c_str(),    tries.c_str()};
  auto conn = pool_.acquire();
  conn->query("insert into platform.dead_letters (id, consumer, operation, event_id, event_type, envelope, error, "
              "attempts) values ($1::uuid, $2, $3, $4::uuid, $5, coalesce(case when $6 ~ '^\\s*\\{' then "
              "$6::jsonb end, to_jsonb($6)), $7, $8::int)",
              params, 8);

  // The stream copy is best effort: the table is the record.
  std::string record = "{\"id\":\"" + id + "\",\"consumer\":\"" + consumer + "\",\"attempts\":" + tries + "}";
  const std::string subject =
      nats_.config().dlq_subject_prefix + "." + (event_type.empty() ? std::string("unknown") : event_type);
  if (nats_.connected()) {
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size())) == NATS_OK) {
      natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str());
      natsMsgHeader_Set(msg, "Crm-Consumer", consumer.c_str());
      natsMsgHeader_Set(msg, "Crm-Error", error.substr(0, 512).c_str());
      natsMsgHeader_Set(msg, "Crm-Attempts", tries.c_str());
      jsPubAck* ack = nullptr;
      if (js_PublishMsg(&ack, nats_.jetstream(), msg, nullptr, nullptr) == NATS_OK) jsPubAck_Destroy(ack);
      natsMsg_Destroy(msg);
    }
  }
  log::warn("events", "event sent to the dead letters: " + error,
            {{"consumer", consumer}, {"event_id", event_id}, {"dead_letter", id}, {"attempts", tries}});
}

bool DeadLetters::list(const std::string& status, int limit, const std::string& cursor, std::string& json,
                       std::string& problem) {
  if (status != "open" && status != "replayed" && status != "all") {
    problem = "status must be open, replayed or all";
    return false;
  }
  if (limit < 1 || limit > 200) {
    problem = "limit must be from 1 to 200";
    return false;
  }
  // Cursor: "<failed_at epoch micros>_<id>" of the last item shown.
  std::string after_time, after_id;
  if (!cursor.empty()) {
    auto sep = cursor.find('_');
    after_time = cursor.substr(0, sep);
    after_id = sep == std::string::npos ? "" : cursor.substr(sep + 1);
    if (after_time.empty() || after_time.find_first_not_of("0123456789") != std::string::npos || after_id.size() != 36) {
      problem = "cursor is not one this API gave out";
      return false;
    }
  }
  const std::string limit_text = std::to_string(limit + 1);
  const char* params[] = {status.c_str(), after_time.empty() ? nullptr : after_time.c_str(),
                          after_id.empty() ? nullptr : after_id.c_str(), limit_text.c_str()};
  auto conn = pool_.acquire();
  auto rows = conn->query(
      "select json_build_object('id', id, 'consumer', consumer, 'operation', operation, 'eventId', event_id, "
      "'eventType', event_type, 'error', error, 'attempts', attempts, 'failedAt', "
      "to_char(failed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'replayedAt', "
      "to_char(replayed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'envelope', envelope)::text, "
      "(extract(epoch from failed_at) * 1000000)::bigint::text || '_' || id::text "
      "from platform.dead_letters where ($1 = 'all' or ($1 = 'open') = (replayed_at is null)) "
      "and ($2::bigint is null or (extract(epoch from failed_at) * 1000000)::bigint < $2::bigint "
      "or ((extract(epoch from failed_at) * 1000000)::bigint = $2::bigint and id < $3::uuid)) "
      "order by failed_at desc, id desc limit $4::int",
      params, 4);
  const int n = rows.rows(), shown = std::min(n, limit);
  json = "{\"items\":[";
  for (int i = 0; i < shown; ++i) {
    if (i) json += ',';
    json += rows.value(i, 0);
  }
  json += "],\"nextCursor\":";
  json += n > limit ? "\"" + std::string(rows.value(shown - 1, 1)) + "\"" : std::string("null");
  json += '}';
  return true;
}

DeadLetters::Replay DeadLetters::replay(const std::string& id) {
  const char* params[] = {id.c_str()};
  auto conn = pool_.acquire();
  conn->exec("begin");
  try {
    auto rows = conn->query("select event_id::text, event_type, envelope::text, replayed_at is not null "
                            "from platform.dead_letters where id = $1::uuid for update",
                            params, 1);
    if (rows.rows() == 0) {
      conn->exec("rollback");
      return Replay::NotFound;
    }
    if (std::string_view(rows.value(0, 3)) == "t") {
      conn->exec("rollback");
      return Replay::AlreadyReplayed;
    }
    if (!nats_.connected()) {
      conn->exec("rollback");
      return Replay::Unavailable;
    }
    const std::string subject = nats_.config().subject_for(rows.value(0, 1));
    const std::string msg_id = std::string(rows.value(0, 0)) + ":replay:" + id;
    natsMsg* msg = nullptr;
    natsMsg_Create(&msg, subject.c_str(), nullptr, rows.value(0, 2), rows.length(0, 2));
    natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id.c_str());
    jsPubAck* ack = nullptr;
    natsStatus s = js_PublishMsg(&ack, nats_.jetstream(), msg, nullptr, nullptr);
    natsMsg_Destroy(msg);
    if (ack) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      conn->exec("rollback");
      return Replay::Unavailable;
    }
    conn->query("update platform.dead_letters set replayed_at = now() where id = $1::uuid", params, 1);
    conn->exec("commit");
    return Replay::Done;
  } catch (...) {
    try {
      conn->exec("rollback");
    } catch (...) {
    }
    throw;
  }
}

long long DeadLetters::open_count() {
  auto conn = pool_.acquire();
  auto rows = conn->query("select count(*) from platform.dead_letters where replayed_at is null", nullptr, 0);
  return std::stoll(rows.value(0, 0));
}

} // namespace crm::events
