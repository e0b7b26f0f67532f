/*
 * plugin_abi.h - the whole contract between crm-host and a plugin.
 *
 * A plugin is a shared library exporting exactly one symbol, crm_plugin_entry().
 * It returns a static description of the plugin (crm_plugin_def): its operations
 * (with roles and an optional HTTP binding), event subscriptions, schedules and
 * schema migrations. The host decides when anything runs; the plugin only answers
 * calls through the host API table (crm_host_api) it receives in init().
 *
 * Rules that never change:
 *  - Plain C99. No C++ types, exceptions or allocator crosses this boundary.
 *  - Versioning: CRM_ABI_VERSION = major << 16 | minor. The host refuses a plugin
 *    whose major differs from its own. Structs only grow at the end; every struct
 *    that can grow carries its own size so either side can tell what the other knows.
 *  - Data crosses as UTF-8 text with explicit lengths: JSON for objects, plain
 *    strings for SQL parameters.
 *  - Memory: the side that allocates frees. Everything the host hands a plugin is
 *    borrowed: valid until the end of the current call unless a function says
 *    otherwise. Everything a plugin hands the host is copied before the function
 *    returns, so the plugin may free or reuse it at once.
 *  - Threads: handlers run concurrently on many host threads. A crm_call belongs
 *    to one thread for its duration; plugin state must be thread-safe.
 */
#ifndef CRM_PLUGIN_ABI_H
#define CRM_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CRM_ABI_MAJOR 1u
#define CRM_ABI_MINOR 0u
#define CRM_ABI_VERSION ((CRM_ABI_MAJOR << 16) | CRM_ABI_MINOR)
#define CRM_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)

#if defined(__GNUC__)
#define CRM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CRM_PLUGIN_EXPORT
#endif

/* Outcome of a handler or a host function. The host maps them to HTTP:
 * OK 200 (or the operation's http_status), INVALID 422, NOT_FOUND 404,
 * CONFLICT 409, FORBIDDEN 403, UNAVAILABLE 503, INTERNAL 500. */
typedef enum crm_status {
  CRM_OK = 0,
  CRM_E_INVALID = 1,     /* the input breaks a rule; see add_error() */
  CRM_E_NOT_FOUND = 2,   /* no such record, or not visible to the caller */
  CRM_E_CONFLICT = 3,    /* duplicate, or the record is in the wrong state */
  CRM_E_FORBIDDEN = 4,   /* the caller may not do this */
  CRM_E_UNAVAILABLE = 5, /* a dependency is down; the caller may retry */
  CRM_E_INTERNAL = 6     /* a bug or an unexpected failure */
} crm_status;

/* Log levels for crm_host_api.log. */
enum { CRM_LOG_DEBUG = 0, CRM_LOG_INFO = 1, CRM_LOG_WARN = 2, CRM_LOG_ERROR = 3 };

/* Opaque: one invocation of one operation. Owned by the host. */
typedef struct crm_call crm_call;
/* Opaque: the result of one SQL statement. Owned by the host; valid until the
 * next sql() on the same call or the end of the call, whichever comes first. */
typedef struct crm_rows crm_rows;

typedef crm_status (*crm_handler)(crm_call *call, void *plugin_state);

/* One operation. `roles` is a comma-separated list of ADMIN, MANAGER, SALES;
 * "*" means any authenticated user, "public" means no token is needed, and
 * "system" means only the host itself (events, workflows, schedules) may call it.
 * http_method/http_path are NULL for operations without a REST route; a path
 * may hold templates: "/api/customers/{id}". input_schema is NULL or a JSON
 * Schema subset (type, properties, required, enum, minLength, maxLength,
 * minimum, maximum, format: uuid|email|date-time) checked before the handler. */
typedef struct crm_operation_def {
  const char *name;         /* "customer.get": "<plugin>.<verb>", unique on the host */
  const char *roles;
  const char *http_method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" or NULL */
  const char *http_path;
  const char *input_schema; /* JSON text or NULL */
  crm_handler handler;
  int http_status;          /* status of a successful reply; 0 means 200 */
  const char *summary;      /* one line for the OpenAPI document, may be NULL */
  unsigned flags;           /* CRM_OP_* */
} crm_operation_def;

/* Operation flags. */
#define CRM_OP_READ_ONLY 1u /* runs in a READ ONLY transaction whose COMMIT does
                               not delay the reply: for reads (most GETs) */

/* Deliver events of `event_type` ("customer.created") to `operation`. */
typedef struct crm_subscription_def {
  const char *event_type;
  const char *operation;
} crm_subscription_def;

/* Run `operation` every interval ("30s", "1m", "1h"), on one host at a time. */
typedef struct crm_schedule_def {
  const char *every;
  const char *operation;
} crm_schedule_def;

/* One step of the plugin's schema. Versions are applied in ascending order,
 * each once, inside the plugin's schema; `sql` may hold several statements. */
typedef struct crm_migration_def {
  unsigned version;
  const char *sql;
} crm_migration_def;

/* Options for rows_json(). */
enum {
  CRM_ROWS_ARRAY = 0,       /* [ {col: value, ...}, ... ] */
  CRM_ROWS_FIRST_OBJECT = 1 /* the first row as an object, or null when empty */
};

/* The host's services. Only ever grows at the end: check struct_size before
 * using a function added after CRM_ABI_MINOR 0 (none yet). */
typedef struct crm_host_api {
  uint32_t abi_version;
  uint32_t struct_size;

  /* The call's input: a JSON object. For a REST call the host merges query
   * parameters, the body's fields and path parameters (in that order, later
   * wins). NUL-terminated, so it can be passed as a SQL parameter as is.
   * Borrowed: valid until the handler returns. */
  const char *(*input)(crm_call *call, size_t *len);

  /* Who is calling, as JSON: {"id": "<uuid>|system|null", "role": "ADMIN|MANAGER|
   * SALES|SYSTEM|ANONYMOUS", ...}. Borrowed. */
  const char *(*principal)(crm_call *call, size_t *len);

  /* Facts about the call by name: "operation", "request_id", "trace_id",
   * "client_ip", "event_id". NULL when unknown. Borrowed. */
  const char *(*call_info)(crm_call *call, const char *key);

  /* Runs one SQL statement in the call's transaction, in the plugin's own schema
   * (search_path) under the plugin's own database role: other plugins' schemas
   * are out of reach. Parameters are $1..$n, passed as text (NULL element = SQL
   * NULL). Statements that change the session or the transaction (BEGIN, COMMIT,
   * ROLLBACK, SET, RESET, ...) are refused. On success *out (if out is not NULL)
   * receives the rows. On failure returns CRM_E_CONFLICT for a unique or foreign
   * key violation, CRM_E_INVALID for bad SQL or data, CRM_E_UNAVAILABLE when the
   * database is down; the call's transaction is then aborted and the handler
   * should return the status it got. */
  crm_status (*sql)(crm_call *call, const char *sql, const char *const *params, size_t n_params,
                    crm_rows **out);

  /* Reading rows. Values are text as PostgreSQL prints them; NULL for SQL NULL. */
  size_t (*rows_count)(const crm_rows *rows);
  size_t (*rows_columns)(const crm_rows *rows);
  const char *(*rows_column_name)(const crm_rows *rows, size_t column);
  const char *(*rows_value)(const crm_rows *rows, size_t row, size_t column, size_t *len);
  /* The rows as JSON (see CRM_ROWS_*). Numbers, booleans and json/jsonb columns
   * keep their JSON types; everything else is a string. Borrowed like the rows. */
  const char *(*rows_json)(crm_rows *rows, int shape, size_t *len);

  /* Records a domain event in the plugin's outbox, in the call's transaction: it
   * is published only if the call commits. `type` is "<entity>.<verb>", `subject`
   * the entity id (may be NULL), `data` a JSON object. */
  crm_status (*emit)(crm_call *call, const char *type, const char *subject, const char *data,
                     size_t len);

  /* Invokes another operation (of any plugin) as the same principal, in its own
   * transaction. On return, out and out_len hold its reply (or its problem detail
   * on failure), borrowed until the next invoke() on this call or its end. */
  crm_status (*invoke)(crm_call *call, const char *operation, const char *input, size_t len,
                       const char **out, size_t *out_len);

  /* The cache, namespaced per plugin. cache_get returns CRM_E_NOT_FOUND on a
   * miss and CRM_E_UNAVAILABLE when no cache is reachable; callers treat both as
   * a miss. The value is borrowed until the end of the call. ttl_seconds 0 means
   * the configured default. */
  crm_status (*cache_get)(crm_call *call, const char *key, const char **value, size_t *len);
  crm_status (*cache_set)(crm_call *call, const char *key, const char *value, size_t len,
                          unsigned ttl_seconds);
  crm_status (*cache_del)(crm_call *call, const char *key);

  /* Writes a log line tagged with the plugin and, if call is not NULL, the call's
   * request and trace ids. Safe from any thread, also from init(). */
  void (*log)(crm_call *call, int level, const char *message);

  /* The reply: a JSON value, copied. Call it once; a later call replaces it. */
  void (*reply)(crm_call *call, const char *json, size_t len);

  /* Why the call failed, in words safe to show the caller. Copied. */
  void (*fail)(crm_call *call, crm_status status, const char *message);

  /* Adds one field error to a CRM_E_INVALID outcome: {field, message}. Copied. */
  void (*add_error)(crm_call *call, const char *field, const char *message);
} crm_host_api;

typedef struct crm_plugin_def {
  uint32_t abi_version; /* CRM_ABI_VERSION the plugin was built against */
  uint32_t struct_size; /* sizeof(crm_plugin_def) as the plugin saw it */
  /* sizeof of each array element type as the plugin saw it, so the arrays can
   * grow too. CRM_PLUGIN_DEF_SIZES fills these six fields. */
  uint32_t operation_size, subscription_size, schedule_size, migration_size;

  const char *name; /* lower-case [a-z][a-z0-9_]*: also its schema and event source */
  const char *version;
  const char *description;

  const crm_operation_def *operations;
  size_t n_operations;
  const crm_subscription_def *subscriptions;
  size_t n_subscriptions;
  const crm_schedule_def *schedules;
  size_t n_schedules;
  const crm_migration_def *migrations;
  size_t n_migrations;

  /* Called once after migrations, before any handler. `host` stays valid until
   * shutdown. config_json is the plugin's configuration (keys plugin.<name>.*),
   * borrowed. Stores the plugin's state in *state. A status other than CRM_OK
   * refuses the plugin. May be NULL. */
  crm_status (*init)(const crm_host_api *host, const char *config_json, void **state);
  /* Called once when the host stops; no handler runs during or after. May be NULL. */
  void (*shutdown)(void *state);
} crm_plugin_def;

#define CRM_PLUGIN_DEF_SIZES                                                                       \
  CRM_ABI_VERSION, (uint32_t)sizeof(crm_plugin_def), (uint32_t)sizeof(crm_operation_def),         \
      (uint32_t)sizeof(crm_subscription_def), (uint32_t)sizeof(crm_schedule_def),                  \
      (uint32_t)sizeof(crm_migration_def)

#define CRM_PLUGIN_ENTRY_SYMBOL "crm_plugin_entry"

/* The one symbol a plugin exports. Returns its static definition, or NULL to
 * decline (e.g. it cannot work with host_abi). The definition must stay valid
 * while the library is loaded. */
CRM_PLUGIN_EXPORT const crm_plugin_def *crm_plugin_entry(uint32_t host_abi);

#ifdef __cplusplus
}
#endif

#endif /* CRM_PLUGIN_ABI_H */
