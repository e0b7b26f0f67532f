// Migrations: the alerts schema. Watchlists and alert rules belong to their
// user; a rule's `armed` is its state (AlertRule.hpp); fired_alerts records
// each crossing once (its key is the rule and the price's time, so an event
// handled again cannot fire again); symbol_marks holds the last price each
// symbol was evaluated at, so an older or repeated event changes nothing.
//
// The evaluation selects only the rules a price crosses: the partial indexes
// on (symbol, kind, threshold), one for armed rules (which may fire) and one
// for fired rules (which may re-arm), give each event two range scans per
// kind whatever the number of rules. The host applies each version once, in
// order, inside the schema `alerts`.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace alerts {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table watchlist (
  user_id uuid not null,
  symbol text not null,
  added_at timestamptz not null default now(),
  primary key (user_id, symbol)
);
create index watchlist_by_symbol on watchlist (symbol);

create table rules (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null,
  symbol text not null,
  kind text not null check (kind in ('ABOVE', 'BELOW', 'MOVE_PCT')),
  threshold double precision not null check (threshold > 0 and threshold < 'Infinity'),
  window_minutes integer null check (window_minutes between 1 and 10080),
  armed boolean not null default true,
  last_fired_at timestamptz null,
  fired_count integer not null default 0,
  created_at timestamptz not null default now(),
  check ((kind = 'MOVE_PCT') = (window_minutes is not null))
);
create index rules_armed on rules (symbol, kind, threshold) where armed;
create index rules_fired on rules (symbol, kind, threshold) where not armed;
create index rules_moves on rules (symbol, window_minutes) where kind = 'MOVE_PCT';
create index rules_by_user on rules (user_id, created_at, id);

create table fired_alerts (
  rule_id uuid not null references rules (id) on delete cascade,
  price_at timestamptz not null,
  price double precision not null,
  move_pct double precision null,
  event_id text null,
  fired_at timestamptz not null default now(),
  primary key (rule_id, price_at)
);

create table symbol_marks (
  symbol text primary key,
  price double precision not null,
  at timestamptz not null
);

create function api_time(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A rule as the REST API gives it.
create function rule_json(r rules) returns json language sql stable as $$
  select json_build_object(
    'id', r.id, 'symbol', r.symbol, 'kind', r.kind, 'threshold', r.threshold,
    'windowMinutes', r.window_minutes, 'armed', r.armed, 'firedCount', r.fired_count,
    'lastFiredAt', api_time(r.last_fired_at), 'createdAt', api_time(r.created_at))
$$;
)sql"},
    // cursor_time() for the list's cursors (crm/keyset_page.hpp).
    {2, crm::sql::kCursorTime},
};

} // namespace alerts
