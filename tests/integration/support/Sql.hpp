// Sql: a small libpq client for tests to look at the database directly (rows,
// outbox events, migrations, roles). Values come back as text, NULL as nullopt.
// One connection per object; not thread-safe.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace itest {

using SqlValue = std::optional<std::string>;
using SqlRow = std::vector<SqlValue>;
using SqlRows = std::vector<SqlRow>;

class SqlError : public std::runtime_error {
public:
  SqlError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  // The SQLSTATE code ("42501" permission denied), empty for connection errors.
  const std::string& sqlstate() const noexcept { return sqlstate_; }

private:
  std::string sqlstate_;
};

// Quotes one value for a libpq key=value connection string.
inline std::string conninfo_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

// Rebuilds a libpq connection string (key=value or URI) with some keys replaced
// or added; a key given an empty value is dropped.
inline std::string conninfo_with(const std::string& conninfo,
                                 const std::vector<std::pair<std::string, std::string>>& changes) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    throw SqlError("bad connection string: " + message, {});
  }
  std::vector<std::pair<std::string, std::string>> kept;
  for (PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val && *o->val) kept.emplace_back(o->keyword, o->val);
  PQconninfoFree(options);
  for (const auto& [key, value] : changes) {
    bool found = false;
    for (auto& kv : kept)
      if (kv.first == key) kv.second = value, found = true;
    if (!found) kept.emplace_back(key, value);
  }
  std::string out;
  for (const auto& [key, value] : kept) {
    if (value.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += key + "=" + conninfo_quote(value);
  }
  return out;
}

class Sql {
public:
  explicit Sql(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str()), &PQfinish) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
      throw SqlError(std::string("cannot connect to PostgreSQL: ") + (conn_ ? PQerrorMessage(conn_.get()) : "?"), {});
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
  }

  // One statement with $1..$n text parameters (nullopt = NULL).
  SqlRows query(const std::string& sql, const std::vector<SqlValue>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(
        PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                     nullptr, 0),
        &PQclear);
    return rows_of(result.get(), sql);
  }

  // Several statements in one string, no parameters; the rows of the last one.
  SqlRows exec(const std::string& sql) {
    std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn_.get(), sql.c_str()), &PQclear);
    return rows_of(result.get(), sql);
  }

  // The first column of the first row; throws when there is no row.
  SqlValue scalar(const std::string& sql, const std::vector<SqlValue>& params = {}) {
    auto rows = query(sql, params);
    if (rows.empty() || rows[0].empty()) throw SqlError("no row from: " + sql, {});
    return rows[0][0];
  }

  // A count(*)-like query as a number.
  long long count(const std::string& sql, const std::vector<SqlValue>& params = {}) {
    auto v = scalar(sql, params);
    return v ? std::stoll(*v) : 0;
  }

  PGconn* raw() const { return conn_.get(); }

private:
  SqlRows rows_of(PGresult* result, const std::string& sql) {
    auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
      throw SqlError(std::string(PQerrorMessage(conn_.get())) + " [in: " + sql + "]", state ? state : "");
    }
    SqlRows rows;
    for (int r = 0, n = PQntuples(result); r < n; ++r) {
      SqlRow row;
      for (int c = 0, m = PQnfields(result); c < m; ++c)
        row.push_back(PQgetisnull(result, r, c) ? SqlValue{} : SqlValue{PQgetvalue(result, r, c)});
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
};

} // namespace itest
