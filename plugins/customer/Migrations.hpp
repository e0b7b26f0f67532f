// Migrations: the customer schema (customers, investment profiles) and the
// SQL functions that build the API's JSON from a row, the one place each shape
// is written down. The host applies each version once, in order, inside the
// schema `customer` (search_path holds only that schema).
//
// Search needs pg_trgm, which the plugin's role may not install: the host
// creates it in schema `public` before plugins migrate, hence the qualified
// operator class.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace customer {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table customers (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  email text null check (char_length(email) <= 254),
  phone text null check (char_length(phone) <= 50),
  company text null check (char_length(company) <= 200),
  status text not null default 'LEAD' check (status in ('LEAD', 'ACTIVE', 'INACTIVE')),
  owner_id uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz null -- soft delete: the row stays for history, nobody sees it
);
-- Lists page by keyset (created_at, id) descending; everything the API shows
-- is a live row, so the indexes leave deleted ones out.
create index customers_page_idx on customers (created_at desc, id desc) where deleted_at is null;
-- A SALES user's list, a MANAGER's team, stats per owner, reassignment.
create index customers_owner_page_idx on customers (owner_id, created_at desc, id desc) where deleted_at is null;
-- ?q=: a case-insensitive substring of name, email or company, served by
-- trigram indexes (lower(x) LIKE '%q%').
create index customers_name_trgm_idx on customers using gin (lower(name) public.gin_trgm_ops) where deleted_at is null;
create index customers_email_trgm_idx on customers using gin (lower(email) public.gin_trgm_ops) where deleted_at is null;
create index customers_company_trgm_idx on customers using gin (lower(company) public.gin_trgm_ops) where deleted_at is null;

create table investment_profiles (
  customer_id uuid primary key references customers (id),
  risk_tolerance text not null check (risk_tolerance in ('LOW', 'MEDIUM', 'HIGH')),
  experience_years integer not null check (experience_years between 0 and 80),
  annual_income numeric not null check (annual_income >= 0),
  goals text[] not null default '{}' check (cardinality(goals) <= 20),
  updated_at timestamptz not null default now()
);

-- The API's customer: {id, name, email, phone, company, status, ownerId,
-- createdAt, updatedAt}, timestamps RFC 3339 UTC with milliseconds.
create function customer_json(c customers) returns json language sql stable as $$
  select json_build_object(
    'id', c.id,
    'name', c.name,
    'email', c.email,
    'phone', c.phone,
    'company', c.company,
    'status', c.status,
    'ownerId', c.owner_id,
    'createdAt', to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(c.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;

-- The API's investment profile: {customerId, riskTolerance, experienceYears,
-- annualIncome, goals, updatedAt}.
create function investment_profile_json(p investment_profiles) returns json language sql stable as $$
  select json_build_object(
    'customerId', p.customer_id,
    'riskTolerance', p.risk_tolerance,
    'experienceYears', p.experience_years,
    'annualIncome', p.annual_income,
    'goals', to_json(p.goals),
    'updatedAt', to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;
)sql"},
    // The SDK's tables and functions (crm/sdk/schema_sql.hpp): what batched
    // reassignments moved, for their compensation; version 3 gives a table
    // from before the SDK its `kind` column; cursor_time() for the list's cursors.
    {2, crm::sql::kTransfersTable},
    {3, crm::sql::kTransfersTable},
    {4, crm::sql::kCursorTime},
};

} // namespace customer
