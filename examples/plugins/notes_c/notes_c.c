/*
 * notes_c - notes about customers, in plain C99: the C walk-through of
 * docs/plugins.md.
 *
 * One table (notes), one REST route (POST /api/notes-c/notes, which emits
 * note_c.created) and one subscription: every customer.created event gives
 * the new customer a first note. JSON is left to PostgreSQL: the input goes
 * to SQL as one jsonb parameter and the reply comes back from SQL as text,
 * so no JSON code lives here.
 */
#include <crm/plugin_abi.h>

/* The host's services: set once by init(), before any handler runs. */
static const crm_host_api *host;

static crm_status init(const crm_host_api *api, const char *config_json, void **state) {
  (void)config_json;
  host = api;
  *state = NULL;
  return CRM_OK;
}

/* POST /api/notes-c/notes {customerId, text}: the host has checked the body
 * against note_schema before this runs. The note and its event are written
 * in the call's transaction: both or neither. */
static crm_status add_note(crm_call *call, void *state) {
  const char *params[2];
  crm_rows *rows = NULL;
  const char *id, *note;
  size_t len = 0;
  crm_status st;
  (void)state;

  params[0] = host->input(call, &len);     /* the body as a JSON object */
  params[1] = host->principal(call, &len); /* {"id": <the caller>, "role": ...} */
  st = host->sql(call,
                 "insert into notes (customer_id, text, author) "
                 "select ($1::jsonb->>'customerId')::uuid, $1::jsonb->>'text', $2::jsonb->>'id' "
                 "returning id, json_build_object('id', id, 'customerId', customer_id, 'text', text, "
                 "'author', author, 'createdAt', created_at)::text",
                 params, 2, &rows);
  if (st != CRM_OK) return st; /* the host has recorded why */

  /* The rows stay valid until the next sql() on this call. */
  id = host->rows_value(rows, 0, 0, &len);
  note = host->rows_value(rows, 0, 1, &len);
  st = host->emit(call, "note_c.created", id, note, len);
  if (st != CRM_OK) return st;
  host->reply(call, note, len); /* copied by the host */
  return CRM_OK;
}

/* customer.created: the input is the event's envelope {id, type, source,
 * time, subject, actor, traceparent, data}, whose subject is the customer's
 * id and data the customer. The host records the event id in the plugin's
 * inbox in this transaction, so a redelivery adds no second note. */
static crm_status on_customer_created(crm_call *call, void *state) {
  const char *params[1];
  size_t len = 0;
  (void)state;

  params[0] = host->input(call, &len);
  return host->sql(call,
                   "insert into notes (customer_id, text, author) "
                   "select ($1::jsonb->>'subject')::uuid, 'New customer: ' || ($1::jsonb->'data'->>'name'), "
                   "'system'",
                   params, 1, NULL);
}

static const char note_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"customerId\",\"text\"],"
    "\"properties\":{\"customerId\":{\"type\":\"string\",\"format\":\"uuid\"},"
    "\"text\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":2000}}}";

static const crm_operation_def operations[] = {
    {.name = "notes_c.add_note",
     .roles = "*", /* any signed-in user */
     .http_method = "POST",
     .http_path = "/api/notes-c/notes",
     .input_schema = note_schema,
     .handler = add_note,
     .http_status = 201,
     .summary = "Add a note about a customer"},
    /* No route: only the host calls it, with the events subscribed below. */
    {.name = "notes_c.on_customer_created", .roles = "system", .handler = on_customer_created},
};

static const crm_subscription_def subscriptions[] = {
    {.event_type = "customer.created", .operation = "notes_c.on_customer_created"},
};

/* Applied once each, in the plugin's own schema (notes_c). No foreign key to
 * the customer: another plugin's tables are out of reach. */
static const crm_migration_def migrations[] = {
    {.version = 1,
     .sql = "create table notes (id uuid primary key default gen_random_uuid(), customer_id uuid not null, "
            "text text not null, author text not null, created_at timestamptz not null default now()); "
            "create index notes_by_customer on notes (customer_id, created_at)"},
};

static const crm_plugin_def definition = {
    CRM_PLUGIN_DEF_SIZES, /* the ABI version and the struct sizes this plugin was built with */
    .name = "notes_c",
    .version = "1.0.0",
    .description = "Notes about customers (the C example)",
    .operations = operations,
    .n_operations = sizeof operations / sizeof operations[0],
    .subscriptions = subscriptions,
    .n_subscriptions = sizeof subscriptions / sizeof subscriptions[0],
    .migrations = migrations,
    .n_migrations = sizeof migrations / sizeof migrations[0],
    .init = init,
};

CRM_PLUGIN_EXPORT const crm_plugin_def *crm_plugin_entry(uint32_t host_abi) {
  if (CRM_ABI_MAJOR_OF(host_abi) != CRM_ABI_MAJOR) return NULL;
  return &definition;
}
