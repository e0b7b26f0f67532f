/*
 * compat_v1_3 - a plugin built against the frozen ABI 1.3 header
 * (tests/compat/abi_1_3): the last definition without `emits`, and the core
 * table with the functions that ABI 1.4 moved into named services
 * (issue_access_token, trigger_instance_id). A current host must load it and
 * serve its call through those deprecated entries.
 *
 * POST /api/compat-v1-3/notes {"text"}: stores the note, emits note.created
 * with emit_event(), and replies {"id", "text", "eventId", "instanceId",
 * "tokenType", "missing": {"status", "message"}}: the instance id workflow
 * "note_flow" would get from that event, the type of a token issued for the
 * note's id, and what invoke() answers for an operation nobody offers.
 */
#include <crm/plugin_abi.h>

#include <stdio.h>
#include <string.h>

#if CRM_ABI_MINOR != 3
#error "compat_v1_3 must be built against the frozen ABI 1.3 header"
#endif

static const crm_host_api *host;

static crm_status init(const crm_host_api *api, const char *config_json, void **state) {
  (void)config_json;
  host = api;
  *state = NULL;
  /* A 1.3 plugin checks for what it uses, as the 1.3 header told it to. */
  if (!CRM_HOST_HAS(api, trigger_instance_id) || !CRM_HOST_HAS(api, issue_access_token)) return CRM_E_UNAVAILABLE;
  return CRM_OK;
}

/* The value of `"key":"` in a flat JSON object, up to the next quote. */
static int member(const char *json, size_t len, const char *key, char *out, size_t out_size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = strstr(json, pattern);
  if (!at || at >= json + len) return 0;
  at += strlen(pattern);
  const char *end = strchr(at, '"');
  if (!end || (size_t)(end - at) >= out_size) return 0;
  memcpy(out, at, (size_t)(end - at));
  out[end - at] = '\0';
  return 1;
}

static crm_status add_note(crm_call *call, void *state) {
  (void)state;
  size_t len = 0;
  const char *input = host->input(call, &len);
  const char *params[] = {input};
  crm_rows *rows = NULL;
  crm_status st = host->sql(call,
                            "insert into notes (text) select $1::jsonb->>'text' "
                            "returning id::text as id, text",
                            params, 1, &rows);
  if (st != CRM_OK) return st;
  const char *id = host->rows_value(rows, 0, 0, NULL);
  char data[128];
  snprintf(data, sizeof data, "{\"id\":\"%s\"}", id);
  char event_id[37] = {0};
  st = host->emit_event(call, "note.created", id, data, strlen(data), event_id);
  if (st != CRM_OK) return st;
  char instance_id[37] = {0};
  host->trigger_instance_id("note_flow", event_id, instance_id);

  const char *token = NULL;
  size_t token_len = 0;
  st = host->issue_access_token(call, id, "SALES", &token, &token_len);
  if (st != CRM_OK) return st;
  char token_type[32] = "";
  member(token, token_len, "tokenType", token_type, sizeof token_type);

  const char *missing = NULL;
  size_t missing_len = 0;
  crm_status missing_status = host->invoke(call, "nobody.nothing", "{}", 2, &missing, &missing_len);

  size_t note_len = 0;
  const char *note = host->rows_json(rows, CRM_ROWS_FIRST_OBJECT, &note_len);
  char reply[1024];
  int n = snprintf(reply, sizeof reply,
                   "%.*s,\"eventId\":\"%s\",\"instanceId\":\"%s\",\"tokenType\":\"%s\","
                   "\"missing\":{\"status\":%d,\"message\":\"%.*s\"}}",
                   (int)(note_len - 1), note, event_id, instance_id, token_type, (int)missing_status,
                   (int)missing_len, missing);
  if (n < 0 || (size_t)n >= sizeof reply) {
    host->fail(call, CRM_E_INTERNAL, "reply too long");
    return CRM_E_INTERNAL;
  }
  host->reply(call, reply, (size_t)n);
  return CRM_OK;
}

static const crm_operation_def operations[] = {
    {"compat_v1_3.add_note", "*", "POST", "/api/compat-v1-3/notes",
     "{\"type\":\"object\",\"required\":[\"text\"],\"properties\":{\"text\":{\"type\":\"string\",\"minLength\":1}}}",
     add_note, 201, "Store a note (a plugin built for ABI 1.3)", 0, "api"},
};

static const crm_migration_def migrations[] = {
    {1, "create table notes (id uuid primary key default gen_random_uuid(), text text not null)"},
};

static const crm_plugin_def definition = {
    CRM_PLUGIN_DEF_SIZES,
    "compat_v1_3",
    "1.3.0",
    "Built against the ABI 1.3 header",
    operations,
    sizeof operations / sizeof operations[0],
    NULL,
    0,
    NULL,
    0,
    migrations,
    sizeof migrations / sizeof migrations[0],
    init,
    NULL,
};

CRM_PLUGIN_EXPORT const crm_plugin_def *crm_plugin_entry(uint32_t host_abi) {
  if (CRM_ABI_MAJOR_OF(host_abi) != CRM_ABI_MAJOR) return NULL;
  return &definition;
}
