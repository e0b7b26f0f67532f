// Migrations: the forecast schema. A model version is a (name, version) of a
// kind with its params; its accuracy row holds running sums, updated once per
// forecast when the forecast's actual price is recorded. A forecast is pending
// until then (actual is null). run_clock spaces the scheduled runs by
// plugin.forecast.interval_seconds whatever the schedule's tick.
#pragma once

#include <crm/plugin_abi.h>

namespace forecast {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table models (
  id uuid primary key default gen_random_uuid(),
  name text not null check (name ~ '^[A-Za-z0-9._-]{1,100}$'),
  version integer not null check (version >= 1),
  kind text not null check (char_length(kind) between 1 and 200),
  params jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
  status text not null check (status in ('LIVE', 'SHADOW', 'RETIRED')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_run_at timestamptz,
  last_run_failed boolean not null default false,
  last_error text,
  last_error_at timestamptz,
  failed_runs bigint not null default 0,
  unique (name, version)
);

create table accuracy (
  model_id uuid primary key references models (id),
  n bigint not null default 0,
  sum_abs_error double precision not null default 0,
  sum_ape double precision not null default 0, -- |error| / |actual|, over the n_ape forecasts whose actual is not 0
  n_ape bigint not null default 0,
  hits bigint not null default 0
);

create table forecasts (
  id bigint generated always as identity primary key,
  model_id uuid not null references models (id),
  symbol text not null,
  made_at timestamptz not null,
  horizon_minutes integer not null check (horizon_minutes > 0),
  target_at timestamptz not null,
  base_price double precision not null, -- the last price the forecast started from
  predicted double precision not null,
  low double precision not null,
  high double precision not null,
  actual double precision,
  abs_error double precision,
  direction_hit boolean,
  resolved_at timestamptz
);
create index forecasts_pending on forecasts (symbol, target_at) where actual is null;
create index forecasts_latest on forecasts (model_id, symbol, made_at desc);

-- A version as the API shows it, with its accuracy.
create function model_json(m models, a accuracy) returns jsonb language sql stable as $$
  select jsonb_build_object('id', m.id, 'name', m.name, 'version', m.version, 'kind', m.kind, 'params', m.params,
    'status', m.status, 'createdAt', m.created_at, 'updatedAt', m.updated_at, 'lastRunAt', m.last_run_at,
    'lastRunFailed', m.last_run_failed, 'lastError', m.last_error, 'lastErrorAt', m.last_error_at,
    'failedRuns', m.failed_runs,
    'accuracy', jsonb_build_object('n', a.n, 'mae', case when a.n > 0 then a.sum_abs_error / a.n end,
      'mape', case when a.n_ape > 0 then 100 * a.sum_ape / a.n_ape end,
      'directionHitRate', case when a.n > 0 then a.hits::float8 / a.n end))
$$;

create table run_clock (id integer primary key check (id = 1), last_run_at timestamptz);
insert into run_clock values (1, null);
)sql"},
};

} // namespace forecast
