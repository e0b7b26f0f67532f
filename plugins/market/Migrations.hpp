// Migrations: the market schema. Instruments are the catalogue of symbols;
// prices is one row per (symbol, at). The primary key's b-tree serves every
// per-symbol read (bars, history, latest); a BRIN index on `at` serves reads
// across symbols by time at a few pages' cost (docs/markets.md has the
// measurements against monthly partitions). The host applies each version
// once, in order, inside the schema `market`.
#pragma once

#include <crm/plugin_abi.h>

namespace market {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table instruments (
  symbol text primary key check (symbol ~ '^[A-Za-z0-9._-]{1,32}$'),
  name text not null check (char_length(name) between 1 and 200),
  exchange text not null check (char_length(exchange) between 1 and 64),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null default now()
);
create index instruments_by_name on instruments (lower(name) text_pattern_ops);

create table prices (
  symbol text not null, -- an instrument's: checked by the ingestion, no per-row trigger
  at timestamptz not null,
  price double precision not null check (price > 0 and price < 'Infinity'),
  volume double precision check (volume >= 0 and volume < 'Infinity'),
  flagged boolean not null default false,
  primary key (symbol, at)
);
create index prices_at_brin on prices using brin (at);

-- Hourly bars kept by the ingestion in the statement that stores the
-- points: 1h and 1d bars read these (24 rows a day instead of 1440), 1m and
-- 5m bars read the points. first_at/last_at place a late point's open or
-- close; points counts what the bar holds.
create table bars_1h (
  symbol text not null,
  bucket timestamptz not null,
  first_at timestamptz not null,
  open double precision not null,
  high double precision not null,
  low double precision not null,
  last_at timestamptz not null,
  close double precision not null,
  volume double precision not null,
  points integer not null,
  primary key (symbol, bucket)
);

-- Times as the API writes them: UTC, "Z", the fraction only when there is one.
create function iso_time(t timestamptz) returns text language sql immutable as $$
  select rtrim(rtrim(to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z'
$$;

create function instrument_json(i instruments) returns jsonb language sql stable as $$
  select jsonb_build_object('symbol', i.symbol, 'name', i.name, 'exchange', i.exchange, 'currency', i.currency)
$$;
)sql"},
    // Symbols compare as bytes: every key of prices and bars_1h leads with
    // one, and comparing under the database's locale (C.UTF-8 calls strcoll)
    // made the ingestion's sorts and index inserts about 15% dearer. Their
    // characters (A-Z a-z 0-9 . _ -) order the same either way.
    {2, R"sql(
alter table instruments alter column symbol type text collate "C";
alter table prices alter column symbol type text collate "C";
alter table bars_1h alter column symbol type text collate "C";
)sql"},
};

} // namespace market
