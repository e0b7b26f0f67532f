// PgConnection: see the header for the round-trip strategy.
#include "storage/PgConnection.hpp"

namespace crm::storage {

namespace {
void ignore_notice(void*, const char*) {}

std::string sqlstate_of(const PGresult* r) {
  const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}
} // namespace

PgConnection::PgConnection(const std::string& conninfo, const std::string& password, const std::string& setup_sql) {
  const char* keys[] = {"dbname", "password", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), password.empty() ? nullptr : password.c_str(), "crm-host", nullptr};
  if (password.empty()) keys[1] = "application_name", values[1] = "crm-host", keys[2] = nullptr;
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("cannot connect to PostgreSQL: " + msg, "08001");
  }
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  if (!setup_sql.empty()) exec(setup_sql);
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

void PgConnection::fail(const PGresult* r, const char* what) {
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  std::string state = sqlstate_of(r);
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    if (state.empty()) state = "08006";
  }
  throw PgError(std::string(what) + ": " + msg, state);
}

void PgConnection::send_and_forget(const char* sql) {
  drain();
  if (!PQsendQuery(conn_, sql)) {
    broken_ = true;
    return;
  }
  pending_ = true;
}

void PgConnection::drain() {
  if (!pending_) return;
  pending_ = false;
  while (PGresult* r = PQgetResult(conn_)) {
    // A read-only transaction's COMMIT: nothing was written, nothing to lose.
    if (PQresultStatus(r) == PGRES_FATAL_ERROR && PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    PQclear(r);
  }
}

PgResult PgConnection::exec(const std::string& sql) {
  drain();
  PgResult r(PQexec(conn_, sql.c_str()));
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) fail(r.get(), "statement failed");
  return r;
}

PgResult PgConnection::query(const std::string& sql, const char* const* params, int n_params, const char* begin) {
  drain();
  auto it = prepared_.find(sql);
  if (it != prepared_.end() && due_for_replan(it->second)) {
    const std::string retired = std::move(it->second.name);
    const uint32_t next = it->second.replan_at <= UINT32_MAX / 4 ? it->second.replan_at * 4 : UINT32_MAX;
    prepared_.erase(it);
    const std::string name = "s" + std::to_string(++names_);
    return run_pipeline(sql, &name, true, params, n_params, begin, &retired, next);
  }
  if (it != prepared_.end() && !begin) {
    // The common case: one round trip.
    PgResult r(PQexecPrepared(conn_, it->second.name.c_str(), n_params, params, nullptr, nullptr, 0));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r.get(), "statement failed");
    return r;
  }
  if (it != prepared_.end()) return run_pipeline(sql, &it->second.name, false, params, n_params, begin);
  if (prepared_.size() >= kMaxPrepared) return run_pipeline(sql, nullptr, false, params, n_params, begin);
  const std::string name = "s" + std::to_string(++names_);
  return run_pipeline(sql, &name, true, params, n_params, begin);
}

bool PgConnection::due_for_replan(Statement& s) {
  ++s.uses;
  if (s.uses >= s.replan_at) return true;
  // The clock is read once every 32 uses: a statement in steady use is
  // planned again about once a minute, an idle one never.
  return (s.uses % kFirstReplan) == 0 && std::chrono::steady_clock::now() - s.planned > kReplanAge;
}

// Sends [BEGIN] [Deallocate] [Prepare] Execute Sync in one write and reads the answers.
// name == nullptr runs the statement unnamed (the cache is full).
PgResult PgConnection::run_pipeline(const std::string& sql, const std::string* name, bool prepare,
                                    const char* const* params, int n_params, const char* begin,
                                    const std::string* retire, uint32_t replan_at) {
  const bool begin_first = begin != nullptr;
  if (PQenterPipelineMode(conn_) != 1) fail(nullptr, "cannot enter pipeline mode");
  int sent = 0;
  bool ok = true;
  if (begin_first) ok = ok && PQsendQueryParams(conn_, begin, 0, nullptr, nullptr, nullptr, nullptr, 0), ++sent;
  const int prepare_at = sent + (retire ? 1 : 0);
  if (retire) {
    const std::string deallocate = "deallocate " + *retire;
    ok = ok && PQsendQueryParams(conn_, deallocate.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), ++sent;
  }
  if (prepare) ok = ok && PQsendPrepare(conn_, name->c_str(), sql.c_str(), 0, nullptr), ++sent;
  if (name)
    ok = ok && PQsendQueryPrepared(conn_, name->c_str(), n_params, params, nullptr, nullptr, 0);
  else
    ok = ok && PQsendQueryParams(conn_, sql.c_str(), n_params, nullptr, params, nullptr, nullptr, 0);
  ++sent;
  ok = ok && PQpipelineSync(conn_);
  if (!ok) {
    broken_ = true;
    fail(nullptr, "cannot send statement");
  }

  PgResult last;
  PgResult first_error;
  for (int i = 0; i < sent; ++i) {
    PgResult r(PQgetResult(conn_));
    if (!r) {
      broken_ = true;
      fail(nullptr, "connection lost");
    }
    auto st = PQresultStatus(r.get());
    // The server keeps a statement that was prepared even if its execution failed.
    if (prepare && i == prepare_at && st == PGRES_COMMAND_OK)
      prepared_.insert_or_assign(sql, Statement{*name, 0, replan_at, std::chrono::steady_clock::now()});
    if (st == PGRES_FATAL_ERROR && !first_error) first_error = std::move(r);
    else if (i == sent - 1) last = std::move(r);
    // Each command's results end with a NULL.
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }
  PgResult sync(PQgetResult(conn_));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    broken_ = true;
    fail(sync.get(), "pipeline out of step");
  }
  PQexitPipelineMode(conn_);
  if (first_error) fail(first_error.get(), "statement failed");
  return last;
}

} // namespace crm::storage
