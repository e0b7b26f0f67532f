// PgConnection: one libpq connection with a per-connection cache of prepared
// statements. Statements go out over the extended protocol; a statement seen
// for the first time is prepared and executed in the same round trip, and the
// BEGIN of a transaction can ride along with the first statement (libpq
// pipeline mode), so a typical one-statement operation costs two round trips
// (BEGIN+statement, COMMIT). Not thread-safe: one thread holds it at a time.
#pragma once

#include "storage/PgError.hpp"
#include "storage/PgResult.hpp"

#include <libpq-fe.h>

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
  PgResult run_pipeline(const std::string& sql, const std::string* name, bool prepare, const char* const* params,
                        int n_params, const char* begin);
  [[noreturn]] void fail(const PGresult* r, const char* what);
  void drain();

  static constexpr size_t kMaxPrepared = 512;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  bool pending_ = false; // a send_and_forget() result not read yet
  std::unordered_map<std::string, std::string> prepared_; // sql text -> statement name
};

} // namespace crm::storage
