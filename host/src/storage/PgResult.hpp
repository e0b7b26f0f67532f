// PgResult: owns one libpq result (PQclear on destruction).
#pragma once

#include <libpq-fe.h>

#include <utility>

namespace crm::storage {

class PgResult {
public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  PgResult& operator=(PgResult&& o) noexcept {
    if (this != &o) {
      reset();
      r_ = std::exchange(o.r_, nullptr);
    }
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { reset(); }

  void reset() {
    if (r_) PQclear(r_);
    r_ = nullptr;
  }
  PGresult* get() const { return r_; }
  explicit operator bool() const { return r_ != nullptr; }

  int rows() const { return r_ ? PQntuples(r_) : 0; }
  int columns() const { return r_ ? PQnfields(r_) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col); }
  const char* value(int row, int col) const { return PQgetvalue(r_, row, col); }
  int length(int row, int col) const { return PQgetlength(r_, row, col); }

private:
  PGresult* r_ = nullptr;
};

} // namespace crm::storage
