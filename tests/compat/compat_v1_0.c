/*
 * compat_v1_0 - a plugin built against the frozen ABI 1.0 header
 * (tests/compat/abi_1_0), as a plugin compiled in the first release would be:
 * its definition is shorter than today's, its operations have no rate_class,
 * and it knows only the 1.0 functions of the host table. A current host must
 * load it and serve its call.
 *
 * POST /api/compat-v1-0/notes {"text"}: stores the note, emits note.created,
 * and replies {"id", "text", "missing": {"status", "message"}} where
 * "missing" is what invoke() answers for an operation no plugin offers (1.0
 * promised CRM_E_NOT_FOUND with the message "no operation <name>").
 */
#include <crm/plugin_abi.h>

#include <stdio.h>
#include <string.h>

#if CRM_ABI_MINOR != 0
#error "compat_v1_0 must be built against the frozen ABI 1.0 header"
#endif

static const crm_host_api *host;

static crm_status init(const crm_host_api *api, const char *config_json, void **state) {
  (void)config_json;
  host = api;
  *state = NULL;
  return CRM_OK;
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
  st = host->emit(call, "note.created", id, data, strlen(data));
  if (st != CRM_OK) return st;

  const char *missing = NULL;
  size_t missing_len = 0;
  crm_status missing_status = host->invoke(call, "nobody.nothing", "{}", 2, &missing, &missing_len);

  size_t note_len = 0;
  const char *note = host->rows_json(rows, CRM_ROWS_FIRST_OBJECT, &note_len);
  char reply[1024];
  /* note is {"id":...,"text":...}: splice "missing" in before its closing brace. */
  int n = snprintf(reply, sizeof reply, "%.*s,\"missing\":{\"status\":%d,\"message\":\"%.*s\"}}",
                   (int)(note_len - 1), note, (int)missing_status, (int)missing_len, missing);
  if (n < 0 || (size_t)n >= sizeof reply) {
    host->fail(call, CRM_E_INTERNAL, "reply too long");
    return CRM_E_INTERNAL;
  }
  host->reply(call, reply, (size_t)n);
  return CRM_OK;
}

static const crm_operation_def operations[] = {
    {"compat_v1_0.add_note", "*", "POST", "/api/compat-v1-0/notes",
     "{\"type\":\"object\",\"required\":[\"text\"],\"properties\":{\"text\":{\"type\":\"string\",\"minLength\":1}}}",
     add_note, 201, "Store a note (a plugin built for ABI 1.0)", 0},
};

static const crm_migration_def migrations[] = {
    {1, "create table notes (id uuid primary key default gen_random_uuid(), text text not null)"},
};

static const crm_plugin_def definition = {
    CRM_PLUGIN_DEF_SIZES,
    "compat_v1_0",
    "1.0.0",
    "Built against the ABI 1.0 header",
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
