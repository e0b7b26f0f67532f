// Migrations: the email schema. Each user's preferences; one delivery row per
// (notification or digest, user) whose uniqueness is what makes an e-mail go
// out once however often notification.created arrives; the notifications
// waiting for a user's daily digest, and the digests made (one per user and
// day). Applied once each, in order, in the schema `email`.
#pragma once

#include <crm/plugin_abi.h>
#include <crm/sdk/schema_sql.hpp>

namespace email {

inline constexpr crm_migration_def kMigrations[] = {
    {1, crm::sql::kCursorTime},
    {2, R"sql(
-- A user without a row gets INSTANT with nothing muted.
create table preferences (
  user_id uuid primary key,
  email text not null check (email in ('NONE', 'INSTANT', 'DAILY_DIGEST')),
  muted_kinds text[] not null default '{}',
  updated_at timestamptz not null default now()
);

-- One e-mail: rendered when it is queued, then attempted by email.send_due
-- until SENT, or DEAD after the last attempt (plugin.email.retry_delays_ms).
create table deliveries (
  id uuid primary key default gen_random_uuid(),
  source_id uuid not null, -- the notification's id, or the digest's
  user_id uuid not null,
  kind text not null,      -- the notification's kind, or DIGEST
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text not null,
  status text not null default 'PENDING' check (status in ('PENDING', 'SENT', 'FAILED', 'DEAD')),
  attempts int not null default 0,
  last_error text null,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  sent_at timestamptz null,
  unique (source_id, user_id)
);
create index deliveries_due on deliveries (next_attempt_at) where status in ('PENDING', 'FAILED');
create index deliveries_by_status on deliveries (status, created_at desc, id desc);

-- Notifications of users on DAILY_DIGEST, until their digest takes them.
create table digest_queue (
  user_id uuid not null,
  notification_id uuid not null,
  kind text not null,
  title text not null,
  body text not null default '',
  created_at text not null,
  queued_at timestamptz not null default now(),
  primary key (user_id, notification_id)
);

-- The digests made: at most one per user and day (UTC).
create table digests (
  user_id uuid not null,
  day date not null,
  id uuid not null default gen_random_uuid(),
  made_at timestamptz not null default now(),
  primary key (user_id, day)
);

create function delivery_json(d deliveries) returns json language sql stable as $$
  select json_build_object(
    'id', d.id, 'sourceId', d.source_id, 'userId', d.user_id, 'kind', d.kind, 'to', d.to_address,
    'subject', d.subject, 'status', d.status, 'attempts', d.attempts, 'lastError', d.last_error,
    'nextAttemptAt', case when d.status in ('PENDING', 'FAILED') then cursor_time(d.next_attempt_at) end,
    'createdAt', cursor_time(d.created_at), 'sentAt', cursor_time(d.sent_at))
$$;
)sql"},
};

} // namespace email
