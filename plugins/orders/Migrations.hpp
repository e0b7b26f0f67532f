// Migrations: the orders schema (orders, their lines and timeline, the
// Idempotency-Key record of placements, the stats read-model) and the SQL
// functions that are the one place each API object and each status change
// is made. The host applies each version once, in order, inside the schema
// `orders`.
//
// Amounts are numeric(12,2) and leave as JSON strings with two decimals
// ("29.99"). The customer and its owner are ids of other plugins' records,
// so there are no foreign keys to them.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace orders {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table orders (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null,
  -- The customer's owner when the order was placed: the record rules follow it.
  owner_id uuid not null,
  placed_by uuid not null,
  status text not null default 'PENDING'
    check (status in ('PENDING', 'RESERVED', 'PAID', 'SHIPPED', 'DELIVERED', 'FAILED', 'CANCELLED')),
  failure_reason text null
    check (failure_reason in ('OUT_OF_STOCK', 'PAYMENT_DECLINED', 'PAYMENT_UNAVAILABLE', 'FULFILLMENT_FAILED')),
  total numeric(12,2) not null check (total >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  payment_token text not null,
  shipping_address jsonb not null,
  cancel_requested boolean not null default false,
  payment_status text not null default 'NONE' check (payment_status in ('NONE', 'CHARGED', 'REFUNDED')),
  charge_id text null,
  tracking_number text null,
  carrier text null,
  confirmation_sent_at timestamptz null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index orders_owner_created_idx on orders (owner_id, created_at desc, id desc);
create index orders_created_idx on orders (created_at desc, id desc);
create index orders_customer_idx on orders (customer_id);

create table order_lines (
  order_id uuid not null references orders (id),
  line integer not null,
  sku text not null,
  name text not null,
  quantity integer not null check (quantity between 1 and 1000),
  price numeric(12,2) not null check (price > 0),
  line_total numeric(12,2) not null,
  primary key (order_id, line)
);

-- Entry n of an order's timeline, with the order.status_changed data it was
-- announced with: the stream's frames are these, so a reconnecting client
-- gets exactly what the live events carried.
create table order_timeline (
  order_id uuid not null references orders (id),
  seq integer not null check (seq >= 1),
  at timestamptz not null,
  status text not null,
  event text not null,
  data jsonb not null,
  primary key (order_id, seq)
);

-- POST /api/orders with an Idempotency-Key: per caller, the request's
-- fingerprint (its JSON, normalised by jsonb) and the first reply.
create table placement_keys (
  caller text not null,
  key text not null,
  fingerprint text not null,
  order_id uuid null,
  reply text null, -- as first sent, byte for byte
  created_at timestamptz not null default now(),
  primary key (caller, key)
);

-- The stats read-model: each order's latest status as order.status_changed
-- told it (the highest seq wins, so events in any order and replays agree)
-- and the day it shipped, for the revenue per day.
create table order_stats_rows (
  order_id uuid primary key,
  owner_id uuid not null,
  status text not null,
  seq integer not null,
  total numeric(12,2) not null,
  currency text not null,
  shipped_on date null
);

create function api_time(t timestamptz) returns text language sql stable as $$
  select to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

create function is_final(status text) returns boolean language sql immutable as $$
  select status in ('DELIVERED', 'FAILED', 'CANCELLED')
$$;

-- The order as GET /api/orders/{id} gives it.
create function order_json(o orders) returns json language sql stable as $$
  select json_build_object(
    'id', o.id,
    'customerId', o.customer_id,
    'ownerId', o.owner_id,
    'placedBy', o.placed_by,
    'status', o.status,
    'items', coalesce((select json_agg(json_build_object('sku', l.sku, 'name', l.name, 'quantity', l.quantity,
                                                         'price', l.price::text, 'lineTotal', l.line_total::text)
                                       order by l.line)
                       from order_lines l where l.order_id = o.id), '[]'::json),
    'total', o.total::text,
    'currency', o.currency,
    'failureReason', o.failure_reason,
    'cancelRequested', o.cancel_requested,
    'payment', json_build_object('status', o.payment_status, 'chargeId', o.charge_id),
    'shipment', json_build_object('trackingNumber', o.tracking_number, 'carrier', o.carrier),
    'shippingAddress', o.shipping_address,
    'timeline', coalesce((select json_agg(json_build_object('at', api_time(t.at), 'status', t.status,
                                                            'event', t.event) order by t.seq)
                          from order_timeline t where t.order_id = o.id), '[]'::json),
    'createdAt', api_time(o.created_at),
    'updatedAt', api_time(o.updated_at))
$$;

-- An order in a list.
create function order_summary_json(o orders) returns json language sql stable as $$
  select json_build_object(
    'id', o.id, 'customerId', o.customer_id, 'ownerId', o.owner_id, 'status', o.status,
    'total', o.total::text, 'currency', o.currency, 'failureReason', o.failure_reason,
    'createdAt', api_time(o.created_at), 'updatedAt', api_time(o.updated_at))
$$;

-- Moves an order to `new_status` (the caller has locked it and decided the
-- move is allowed): the order's status, the next timeline entry, and the
-- order.status_changed data, which the caller emits in the same transaction.
create function record_status(p_order uuid, new_status text, p_event text, reason text) returns jsonb
language plpgsql as $$
declare
  o orders;
  previous text;
  n integer;
  entry jsonb;
begin
  select * into o from orders where id = p_order for update;
  select coalesce(max(seq), 0) + 1 into n from order_timeline where order_id = p_order;
  previous := case when n = 1 then null else o.status end;
  update orders set status = new_status, failure_reason = coalesce(reason, failure_reason), updated_at = now()
    where id = p_order returning * into o;
  entry := jsonb_build_object(
    'orderId', o.id, 'seq', n, 'at', api_time(now()), 'status', new_status, 'previous', previous,
    'event', p_event, 'final', is_final(new_status), 'failureReason', o.failure_reason,
    'customerId', o.customer_id, 'ownerId', o.owner_id, 'total', o.total::text, 'currency', o.currency);
  insert into order_timeline (order_id, seq, at, status, event, data) values (p_order, n, now(), new_status, p_event, entry);
  return entry;
end $$;
)sql"},
    // cursor_time() for the list's cursors (crm/keyset_page.hpp).
    {2, crm::sql::kCursorTime},
};

} // namespace orders
