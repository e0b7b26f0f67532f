// Migrations: the auth schema (users, refresh tokens) and user_json(), the one
// place the API's user object is built from a row. The host applies each
// version once, in order, inside the schema `auth`.
#pragma once

#include <crm/plugin_abi.h>

namespace auth {

inline constexpr crm_migration_def kMigrations[] = {
    {1, R"sql(
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  name text not null,
  role text not null check (role in ('ADMIN', 'MANAGER', 'SALES')),
  manager_id uuid null references users (id),
  active boolean not null default true,
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz null
);
-- One account per address, whatever its case; also the list's keyset order.
create unique index users_email_key on users (lower(email));
create index users_email_id_idx on users (lower(email), id);
-- Teams are walked downwards (who reports to X) by the principal provider.
create index users_manager_idx on users (manager_id);
-- "Is there an active ADMIN?" at every start.
create index users_active_admin_idx on users (id) where role = 'ADMIN' and active;

create table refresh_tokens (
  id uuid primary key,
  family_id uuid not null,
  user_id uuid not null references users (id),
  token_hash text not null unique, -- sha256 hex of the opaque token; the token itself is never stored
  expires_at timestamptz not null,
  used_at timestamptz null,
  revoked_at timestamptz null,
  created_at timestamptz not null default now()
);
create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_live_user_idx on refresh_tokens (user_id) where revoked_at is null;

-- The API's user: {id, email, name, role, managerId, active, createdAt,
-- updatedAt, lastLoginAt}, timestamps RFC 3339 UTC with milliseconds. Never the hash.
create function user_json(u users) returns json language sql stable as $$
  select json_build_object(
    'id', u.id,
    'email', u.email,
    'name', u.name,
    'role', u.role,
    'managerId', u.manager_id,
    'active', u.active,
    'createdAt', to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updatedAt', to_char(u.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'lastLoginAt', to_char(u.last_login_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
$$;
)sql"},
};

} // namespace auth
