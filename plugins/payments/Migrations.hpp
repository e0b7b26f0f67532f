// Migrations: the payments schema. `charges` holds one row per order, the
// plugin's own record of its payment; `provider_books` is the simulated
// provider's side: every charge and refund it executed, keyed by the
// idempotency key it was asked with, so a repeated key gets the first answer
// and the books show whether anything happened more than once.
#pragma once

#include <crm/plugin_abi.h>

namespace payments {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table charges (
  order_id uuid primary key,
  -- PENDING: being tried (or the provider did not answer); the others are final
  -- answers, REFUNDED after a CHARGED one.
  status text not null check (status in ('PENDING', 'CHARGED', 'DECLINED', 'REFUNDED')),
  amount numeric(12,2) not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  charge_id uuid null,
  refund_id uuid null,
  attempts integer not null default 0,
  last_error text null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status not in ('CHARGED', 'REFUNDED') or charge_id is not null)
);

create table provider_books (
  idempotency_key text primary key,
  kind text not null check (kind in ('CHARGE', 'REFUND')),
  order_id uuid not null,
  amount numeric(12,2) not null,
  currency text not null,
  outcome text not null check (outcome in ('APPROVED', 'DECLINED')),
  reference uuid not null default gen_random_uuid(),
  reason text null,
  executed_at timestamptz not null default now()
);
create index provider_books_by_order on provider_books (order_id, executed_at);
)sql"},
};

} // namespace payments
