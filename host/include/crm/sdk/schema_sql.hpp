// schema_sql.hpp: SQL the SDK's helpers need in a plugin's schema, for the
// plugin to list among its migrations by reference, never as a copy:
//
//   inline constexpr crm_migration_def kMigrations[] = {
//       {1, R"sql(create table items (...);)sql"},
//       {2, crm::sql::kCursorTime},       // keyset_page.hpp
//       {3, crm::sql::kTransfersTable},   // batched_transfers.hpp
//   };
//
// Each is idempotent (create or replace, if not exists), so a plugin that had
// its own copy before can list it as a new version and keep its data.
#pragma once

namespace crm::sql {

// cursor_time(t): a list position to the microsecond, so the next page starts
// exactly after the last row; the text keyset_page.hpp's cursors carry.
inline constexpr const char* kCursorTime = R"sql(
create or replace function cursor_time(t timestamptz) returns text language sql immutable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
)sql";

// What each batched reassignment moved (`kind` names what, for a plugin that
// moves more than one kind of record), so that its compensation moves back
// exactly those, where the new holder still has them.
inline constexpr const char* kTransfersTable = R"sql(
create table if not exists transfers (
  transfer text not null,
  kind text not null default '',
  id uuid not null,
  from_user uuid not null,
  to_user uuid not null,
  moved_at timestamptz not null default now(),
  primary key (transfer, kind, id)
);
-- A table from before the SDK that had one kind only.
alter table transfers add column if not exists kind text not null default '';
)sql";

} // namespace crm::sql
