// DeadLetters: events a consumer gave up on. Each is a row of
// platform.dead_letters (listed and replayed through the REST API) and a
// message on stream CRM_DLQ (subject crmdlq.<type>) for tools that read NATS.
// Replaying publishes the original envelope again under a new Nats-Msg-Id:
// consumers that handled it before skip it (their inbox has its id), the one
// that failed gets it again.
#pragma once

#include "events/NatsClient.hpp"
#include "storage/ConnectionPool.hpp"

#include <string>
#include <string_view>

namespace crm::events {

class DeadLetters {
public:
  DeadLetters(storage::ConnectionPool& pool, NatsClient& nats) : pool_(pool), nats_(nats) {}

  // Records one; throws storage::PgError when PostgreSQL cannot take it (the
  // caller then leaves the message to be redelivered).
  void add(const std::string& consumer, const std::string& operation, const std::string& event_id,
           const std::string& event_type, std::string_view envelope, const std::string& error, int attempts);

  // {"items": [...], "nextCursor"}; status "open" (default), "replayed" or "all".
  // Returns false with `problem` set for a bad query.
  bool list(const std::string& status, int limit, const std::string& cursor, std::string& json, std::string& problem);

  enum class Replay { Done, NotFound, AlreadyReplayed, Unavailable };
  Replay replay(const std::string& id);

  long long open_count();

private:
  storage::ConnectionPool& pool_;
  NatsClient& nats_;
};

} // namespace crm::events
