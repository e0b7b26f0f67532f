// PlatformSchema: the tables of schema `platform` the host itself uses (plugin
// migrations, audit log, revoked tokens), created if missing at start.
#pragma once

#include "storage/PgConnection.hpp"

namespace crm::storage {

// Idempotent, and safe from several hosts at once (an advisory lock serializes
// them). Throws PgError.
void ensure_platform_schema(PgConnection& conn);

} // namespace crm::storage
