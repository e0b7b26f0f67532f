// Migrations: the inventory schema. Products carry their stock and the part
// of it held by reservations; the running totals (initial, restocked,
// committed, released) let anyone check that the books balance:
// initial + restocked == stock + committed. The host applies each version
// once, in order, inside the schema `inventory`.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace inventory {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table products (
  id uuid not null unique default gen_random_uuid(),
  sku text primary key check (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
  name text not null check (char_length(name) between 1 and 200),
  price numeric(12,2) not null check (price > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  stock integer not null check (stock >= 0),
  reserved integer not null default 0 check (reserved >= 0),
  active boolean not null default true,
  initial_stock integer not null check (initial_stock >= 0),
  restocked bigint not null default 0,
  committed bigint not null default 0,
  released bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- available = stock - reserved: whatever the code does, never negative.
  constraint products_available_not_negative check (stock - reserved >= 0)
);

-- One reservation per order (reservation = the order id). A reservation
-- released before anything was reserved stays as a RELEASED row without
-- items, so a late reserve of the same order cannot hold stock any more.
create table reservations (
  reservation uuid primary key,
  status text not null check (status in ('RESERVED', 'COMMITTED', 'RELEASED')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table reservation_items (
  reservation uuid not null references reservations (reservation),
  sku text not null references products (sku),
  quantity integer not null check (quantity > 0),
  primary key (reservation, sku)
);
create index reservation_items_by_sku on reservation_items (sku);

-- The API's shape of a product; price as text with two decimals.
create function product_json(p products) returns jsonb language sql stable as $$
  select jsonb_build_object('sku', p.sku, 'name', p.name, 'price', p.price::text, 'currency', p.currency,
    'stock', p.stock, 'reserved', p.reserved, 'available', p.stock - p.reserved, 'active', p.active)
$$;
)sql"},
};

} // namespace inventory
