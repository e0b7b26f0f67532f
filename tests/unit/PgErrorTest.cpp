// PgError: what a plugin hears when its SQL fails.
#include "storage/PgError.hpp"

#include <catch2/catch.hpp>

using crm::storage::PgError;

TEST_CASE("SQLSTATEs map to the ABI's statuses") {
  CHECK(PgError::status_for_sqlstate("23505") == CRM_E_CONFLICT);
  CHECK(PgError::status_for_sqlstate("23503") == CRM_E_CONFLICT);
  CHECK(PgError::status_for_sqlstate("40001") == CRM_E_CONFLICT);
  CHECK(PgError::status_for_sqlstate("22P02") == CRM_E_INVALID);
  CHECK(PgError::status_for_sqlstate("23502") == CRM_E_INVALID);
  CHECK(PgError::status_for_sqlstate("42501") == CRM_E_FORBIDDEN);
  CHECK(PgError::status_for_sqlstate("08006") == CRM_E_UNAVAILABLE);
  CHECK(PgError::status_for_sqlstate("57P01") == CRM_E_UNAVAILABLE);
  CHECK(PgError::status_for_sqlstate("") == CRM_E_UNAVAILABLE);
  CHECK(PgError::status_for_sqlstate("42601") == CRM_E_INTERNAL);
}

TEST_CASE("a lost connection is told apart from a failed statement") {
  CHECK(PgError("x", "08006").connection_lost());
  CHECK(PgError("x", "").connection_lost());
  CHECK_FALSE(PgError("x", "23505").connection_lost());
}

TEST_CASE("a serialization failure or a deadlock is transient, nothing else is") {
  CHECK(PgError("x", "40001").transient());
  CHECK(PgError("x", "40P01").transient());
  CHECK_FALSE(PgError("x", "23505").transient());
  CHECK_FALSE(PgError("x", "08006").transient());
  CHECK_FALSE(PgError("x", "").transient());
}
