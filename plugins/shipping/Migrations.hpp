// Migrations: the shipping schema: one shipment per order, its tracking
// number unique, and shipment_json(), the one place the API object is built.
// The host applies each version once, in order, inside the schema `shipping`.
#pragma once

#include <crm/plugin_abi.h>

namespace shipping {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table shipments (
  order_id uuid primary key,
  tracking_number text not null unique,
  carrier text not null,
  status text not null default 'CREATED' check (status in ('CREATED', 'DELIVERED', 'CANCELLED')),
  address jsonb not null,
  created_at timestamptz not null default now(),
  delivered_at timestamptz null,
  cancelled_at timestamptz null
);

create function api_time(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- {orderId, trackingNumber, carrier, status, address, createdAt, deliveredAt, cancelledAt}
create function shipment_json(s shipments) returns json language sql stable as $$
  select json_build_object(
    'orderId', s.order_id, 'trackingNumber', s.tracking_number, 'carrier', s.carrier, 'status', s.status,
    'address', s.address, 'createdAt', api_time(s.created_at), 'deliveredAt', api_time(s.delivered_at),
    'cancelledAt', api_time(s.cancelled_at))
$$;

-- A new tracking number: 16 characters from a random UUID, upper case. The
-- unique constraint stands behind it.
create function new_tracking_number() returns text language sql volatile as $$
  select 'TRK' || upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 13))
$$;
)sql"},
};

} // namespace shipping
