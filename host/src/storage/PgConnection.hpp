// PgConnection: one libpq connection with a per-connection cache of prepared
// statements. Statements go out over the extended protocol; a statement seen
// for the first time is prepared and executed in the same round trip, and the
// BEGIN of a transaction can ride along with the first statement (libpq
// pipeline mode), so a typical one-statement operation costs two round trips
// (BEGIN+statement, COMMIT). Not thread-safe: one thread holds it at a time.
//
// A prepared statement is prepared again now and then: after 32 uses, then
// after 4 times as many each time, and after a minute when it is in use.
// PostgreSQL keeps a statement's generic plan until the table is analysed;
// one made while a table was nearly empty (a scan and a sort) would otherwise
// serve it at 100,000 rows. Preparing again costs one parse and plan, rarely.
#pragma once

#include "storage/PgError.hpp"
#include "storage/PgResult.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace crm::storage {

class PgConnection {
public:
  // conninfo is a libpq connection string; password is kept out of it so it is
  // never logged. setup_sql (several statements allowed) runs once after connect.
  PgConnection(const std::string& conninfo, const std::string& password, const std::string& setup_sql);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Simple protocol, several statements allowed, no parameters. Throws PgError.
  PgResult exec(const std::string& sql);
  // One statement with text parameters ($1..$n, nullptr = NULL). With
  // begin (e.g. "BEGIN" or "BEGIN READ ONLY"), the transaction starts in the
  // same round trip. Throws PgError.
  PgResult query(const std::string& sql, const char* const* params, int n_params, const char* begin = nullptr);

  // Sends a statement whose outcome nobody waits for (the COMMIT of a read-only
  // transaction): its result is read and dropped before the next use.
  void send_and_forget(const char* sql);

  // IDLE, INTRANS, INERROR (an aborted transaction), or UNKNOWN when broken;
  // ACTIVE while a forgotten statement is still out.
  PGTransactionStatusType transaction_status() const { return PQtransactionStatus(conn_); }
  bool forgotten_pending() const { return pending_; }
  bool healthy() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }
  void mark_broken() { broken_ = true; }
  // For LISTEN: the socket and PQconsumeInput/PQnotifies. Not for statements.
  PGconn* native() const { return conn_; }

private:
  struct Statement {
    std::string name;
    uint32_t uses = 0;
    uint32_t replan_at = kFirstReplan;
    std::chrono::steady_clock::time_point planned;
  };
  // name == nullptr runs unnamed; with prepare, `retire` (an older name of the
  // same statement, or nullptr) is deallocated in the same round trip.
  PgResult run_pipeline(const std::string& sql, const std::string* name, bool prepare, const char* const* params,
                        int n_params, const char* begin, const std::string* retire = nullptr,
                        uint32_t replan_at = kFirstReplan);
  bool due_for_replan(Statement& s);
  [[noreturn]] void fail(const PGresult* r, const char* what);
  void drain();

  static constexpr size_t kMaxPrepared = 512;
  static constexpr uint32_t kFirstReplan = 32;
  static constexpr std::chrono::seconds kReplanAge{60};
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  bool pending_ = false; // a send_and_forget() result not read yet
  std::unordered_map<std::string, Statement> prepared_; // by sql text
  uint64_t names_ = 0;                                  // statement names s1, s2, ... never reused
};

} // namespace crm::storage
