/*
 * plugin_abi.h - the whole contract between crm-host and a plugin.
 *
 * A plugin is a shared library exporting exactly one symbol, crm_plugin_entry().
 * It returns a static description of the plugin (crm_plugin_def): its operations
 * (with roles and an optional HTTP binding), event subscriptions, schedules and
 * schema migrations. The host decides when anything runs; the plugin only answers
 * calls through the host API table (crm_host_api) it receives in init().
 * Services beyond the core (token issuing, the audit log, ...) are named,
 * versioned tables a plugin asks for with get_service() (see plugin_services.h).
 *
 * Rules that never change:
 *  - Plain C99. No C++ types, exceptions or allocator crosses this boundary.
 *  - Versioning: CRM_ABI_VERSION = major << 16 | minor. The host refuses a plugin
 *    whose major differs from its own. Structs only grow at the end; every struct
 *    that can grow carries its own size so either side can tell what the other knows.
 *  - Data crosses as UTF-8 text with explicit lengths: JSON for objects, plain
 *    strings for SQL parameters.
 *  - Memory: the side that allocates frees. ONE LIFETIME RULE (since ABI 1.4):
 *    everything the host hands a plugin during a call (input, principal, rows,
 *    rows_json, cache values, invoke replies, service replies) is valid until
 *    that call ends, and no later function overwrites it: the host keeps it in
 *    an arena owned by the crm_call and frees the arena when the handler has
 *    returned. Outside a call (init) the only things handed out are static.
 *    Everything a plugin hands the host is copied before the function returns,
 *    so the plugin may free or reuse it at once.
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
#define CRM_ABI_MINOR 5u
#define CRM_ABI_VERSION ((CRM_ABI_MAJOR << 16) | CRM_ABI_MINOR)
#define CRM_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)

#if defined(__GNUC__)
#define CRM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CRM_PLUGIN_EXPORT
#endif

/* Outcome of a handler or a host function. The host maps them to HTTP:
 * OK 200 (or the operation's http_status), INVALID 422, NOT_FOUND 404,
 * CONFLICT 409, FORBIDDEN 403, UNAVAILABLE 503, INTERNAL 500,
 * UNAUTHENTICATED 401, RATE_LIMITED 429 (the last two since ABI 1.1),
 * NO_OPERATION 404 (since ABI 1.4). New values only ever come at the end. */
typedef enum crm_status {
  CRM_OK = 0,
  CRM_E_INVALID = 1,     /* the input breaks a rule; see add_error() */
  CRM_E_NOT_FOUND = 2,   /* no such record, or not visible to the caller */
  CRM_E_CONFLICT = 3,    /* duplicate, or the record is in the wrong state */
  CRM_E_FORBIDDEN = 4,   /* the caller may not do this */
  CRM_E_UNAVAILABLE = 5, /* a dependency is down; the caller may retry */
  CRM_E_INTERNAL = 6,    /* a bug or an unexpected failure */
  CRM_E_UNAUTHENTICATED = 7, /* bad credentials (a failed login, a dead refresh token) */
  CRM_E_RATE_LIMITED = 8,    /* too many attempts; set a Retry-After header */
  CRM_E_NO_OPERATION = 9     /* since 1.4: invoke_call() named an operation no
                                loaded plugin offers (the peer is not installed,
                                or not loaded yet). A handler that returns it
                                answers 404, like NOT_FOUND. */
} crm_status;

/* Log levels for crm_host_api.log. */
enum { CRM_LOG_DEBUG = 0, CRM_LOG_INFO = 1, CRM_LOG_WARN = 2, CRM_LOG_ERROR = 3 };

/* Opaque: one invocation of one operation. Owned by the host. */
typedef struct crm_call crm_call;
/* Opaque: the result of one SQL statement. Owned by the host; valid until the
 * end of the call (since ABI 1.4; before, only until the next sql()). */
typedef struct crm_rows crm_rows;

typedef crm_status (*crm_handler)(crm_call *call, void *plugin_state);

/* One operation. `roles` is a comma-separated list of role words. Three words
 * belong to the host: "*" means any authenticated user, "public" means no
 * token is needed, and "system" means only the host itself (events,
 * workflows, schedules) may call it ("SYSTEM" is accepted as an old spelling).
 * Every other word is a role of the users' plugin (the one that issues tokens):
 * a caller whose token carries that role may call the operation.
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
  /* --- since ABI 1.1 --- */
  const char *rate_class;   /* rate-limit class ("auth", "api", ...); NULL: "api" */
} crm_operation_def;

/* Operation flags. */
#define CRM_OP_READ_ONLY 1u /* runs in a READ ONLY transaction whose COMMIT does
                               not delay the reply: for reads (most GETs) */
#define CRM_OP_PRINCIPAL 2u /* since 1.1. The principal provider: called by the
                               host (role "system") with {"id", "role"} of a
                               verified token; replies an object the host merges
                               into the principal (members the provider defines),
                               caches, and drops when the "principals" service's
                               principal_changed() is called. A reply
                               with "active": false makes the token invalid (401).
                               NOT_FOUND also makes it invalid. One per host. */
#define CRM_OP_ON_START 4u  /* since 1.1. Run once by each host after the plugin
                               is loaded, as "system". Its input is the plugin's
                               own configuration (plugin.<name>.* as in init(),
                               a key with sub-keys as a nested object: e.g.
                               plugin.auth.admin.email -> {"admin": {"email"}})
                               and nothing of other plugins or the host. For
                               first-run set-up; must be idempotent. */
#define CRM_OP_NO_AUDIT 8u  /* since 1.1. A mutating operation the host does not
                               audit by itself (it audits what it needs with
                               audit()), e.g. a login. */
#define CRM_OP_REPLAYABLE 16u /* since 1.2. A subscription's operation that
                               keeps a read-model: a rebuild
                               (POST /api/plugins/{name}/rebuild) feeds it
                               every event of its type still in the stream,
                               oldest first, without the inbox; it must
                               therefore be idempotent per event id itself. */
#define CRM_OP_REPLAY_RESET 32u /* since 1.2. Run as "system" with {} at the
                               start of a rebuild, before any event is
                               replayed: empties the read-models. */
#define CRM_OP_STREAM 64u   /* since 1.5. A GET route that opens a live stream
                               (WebSocket, or Server-Sent Events when the client
                               sends Accept: text/event-stream; a GET asking for
                               neither is 406). The host first calls the handler
                               as the caller, with the path's parameters and
                               "after" (SSE's Last-Event-ID header, or ?after=)
                               in its input; a failure is answered as usual
                               (404, ...) and nothing is opened. A reply is
                               {"frames": [{"id", "event", "data"}, ...],
                                "done": bool,
                                "follow": {"types": [event types],
                                           "subject": "<the events' subject>",
                                           "cursor": "<data member holding a
                                                      frame id, an integer>",
                                           "final": "<data member that ends
                                                     the stream when true>"}}:
                               the host sends the frames, closes when "done",
                               else sends each later event of those types and
                               that subject (from every host: a plain NATS
                               subscription; events heard while the handler
                               runs are kept) as a frame whose id is data[cursor],
                               skipping ids already sent, and asks the handler
                               again with "after" when an id is skipped (no gaps).
                               A frame with data[final] true ends the stream after
                               it. A host older than 1.5 answers the reply. */

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

/* The host's services. Only ever grows at the end: before using a function
 * added after ABI 1.0, check that the host has it with CRM_HOST_HAS(host, fn). */
typedef struct crm_host_api {
  uint32_t abi_version;
  uint32_t struct_size;

  /* The call's input: a JSON object. For a REST call the host merges query
   * parameters, the body's fields and path parameters (in that order, later
   * wins). NUL-terminated, so it can be passed as a SQL parameter as is.
   * Borrowed: valid until the handler returns. */
  const char *(*input)(crm_call *call, size_t *len);

  /* Who is calling, as JSON: {"id": "<uuid>|system|null", "role": ...}. The
   * role is "system" for the host's own calls (events, workflows, schedules),
   * "ANONYMOUS" for a caller without a token, else the role word of the
   * caller's token; the principal provider (CRM_OP_PRINCIPAL) adds members.
   * Borrowed. */
  const char *(*principal)(crm_call *call, size_t *len);

  /* Facts about the call by name: "operation", "request_id", "trace_id",
   * "client_ip", "event_id", and "idempotency_key" (the REST request's
   * Idempotency-Key header, for an operation that answers a repeated request
   * with its first reply; since 1.5). NULL when unknown. Borrowed. */
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
   * transaction. On return, out and out_len hold its reply (or the failure's
   * message on failure; "no operation <name>" with CRM_E_NOT_FOUND when no
   * plugin offers it). Borrowed until the end of the call. Since ABI 1.4
   * prefer invoke_call(), which returns the whole problem. */
  crm_status (*invoke)(crm_call *call, const char *operation, const char *input, size_t len,
                       const char **out, size_t *out_len);

  /* The cache, namespaced per plugin. cache_get returns CRM_E_NOT_FOUND on a
   * miss and CRM_E_UNAVAILABLE when no cache is reachable; callers treat both as
   * a miss. The value is borrowed until the end of the call (a later cache_get
   * does not overwrite it). ttl_seconds 0 means the configured default. */
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

  /* ---- since ABI 1.1: check struct_size >= offsetof(crm_host_api, <fn>) + sizeof(void*) ---- */

  /* DEPRECATED since ABI 1.4: use the "tokens" service (plugin_services.h).
   * Signs an access token (JWT) for `subject` with `role`, using the host's
   * newest key. *out receives {"accessToken", "tokenType": "Bearer",
   * "expiresIn": seconds, "jti", "expiresAt": unix seconds}, borrowed until the
   * end of the call. */
  crm_status (*issue_access_token)(crm_call *call, const char *subject, const char *role, const char **out,
                                   size_t *out_len);

  /* Revokes the access token with id `jti` until `expires_at` (unix seconds):
   * every host rejects it from then on. Written at once, outside the call's
   * transaction: a rollback does not bring the token back. */
  crm_status (*revoke_access_token)(crm_call *call, const char *jti, int64_t expires_at);

  /* Adds an audit entry (actor, operation, request id, client IP and time come
   * from the call) in the call's transaction: it exists only if the call
   * commits, or if commit_on_failure() was called. `detail` is a JSON object or
   * NULL. Mutating operations are audited by the host without this (outcome
   * "SUCCESS"); use it for what the host cannot see (a failed login). */
  crm_status (*audit)(crm_call *call, const char *action, const char *resource_id, const char *outcome,
                      const char *detail);

  /* DEPRECATED since ABI 1.4: use the "audit" service (plugin_services.h).
   * Reads the audit log. filter: a JSON object with optional actorId,
   * resource, action, outcome, from, to (RFC 3339), limit (1..200, default 50)
   * and cursor. *out receives {"items": [...], "nextCursor"}, borrowed until the
   * end of the call. An item: {id, time, actorId, action, resourceId, outcome,
   * clientIp, requestId, detail}. */
  crm_status (*audit_query)(crm_call *call, const char *filter, size_t len, const char **out, size_t *out_len);

  /* Commits the call's transaction even though the handler fails: for records
   * of the failure itself (a failed login's audit entry, a revoked token family). */
  void (*commit_on_failure)(crm_call *call);

  /* Shared counters, namespaced per plugin, kept in Redis so every host sees
   * the same value (kept in process while Redis is down). Adds `delta` (0 just
   * reads) and returns the new value; a counter created by this call expires
   * after ttl_seconds (0: never). *ttl_left receives the seconds until it
   * expires (-1: never or absent). Not transactional. Either out may be NULL. */
  crm_status (*counter_add)(crm_call *call, const char *key, int64_t delta, unsigned ttl_seconds, int64_t *value,
                            int64_t *ttl_left);
  crm_status (*counter_reset)(crm_call *call, const char *key);

  /* Sets a response header for a REST call (e.g. "Retry-After"); ignored for
   * calls without HTTP. Copied. */
  void (*set_header)(crm_call *call, const char *name, const char *value);

  /* DEPRECATED since ABI 1.4: use the "principals" service (plugin_services.h).
   * The principal data of `subject` (NULL: everyone's) changed: every host
   * drops what it cached once this call commits. */
  void (*principal_changed)(crm_call *call, const char *subject);

  /* ---- since ABI 1.3 ---- */

  /* emit(), which also writes the new event's id (a UUID: 36 characters and
   * a NUL) into id_out, e.g. to find what the event starts (below). */
  crm_status (*emit_event)(crm_call *call, const char *type, const char *subject, const char *data, size_t len,
                           char id_out[37]);

  /* DEPRECATED since ABI 1.4: use the "workflows" service (plugin_services.h).
   * The id of the instance that workflow `workflow` gets when event
   * `event_id` triggers it: decided by the two names alone, the same on every
   * host and before the event is even published, so an operation can answer
   * with the instance its event will start (it exists once the event is
   * delivered, if a live workflow of that name starts on the event's type).
   * Writes 36 characters and a NUL into id_out. */
  void (*trigger_instance_id)(const char *workflow, const char *event_id, char id_out[37]);

  /* ---- since ABI 1.4 ---- */

  /* Invokes another operation (of any plugin) as the same principal, in its
   * own transaction, and returns its status. On CRM_OK, *out is its reply
   * (JSON; an empty string when it replied nothing). On failure, *out is the
   * callee's problem as JSON: {"type", "title", "status": <HTTP status>,
   * "detail", "errors": [{"field", "message"}]} ("errors" only when there are
   * some; the fields are paths into the callee's input, e.g. "address.city").
   * CRM_E_NO_OPERATION when no loaded plugin offers `operation`. Borrowed until
   * the end of the call; out and out_len may be NULL. */
  crm_status (*invoke_call)(crm_call *call, const char *operation, const char *input, size_t len,
                            const char **out, size_t *out_len);

  /* A named service table (see plugin_services.h), in the manner of
   * RedisModule_GetApi: the host's table for `name` whose major version is
   * `version`, or NULL when this host has no such service (or not that
   * version). *size (if size is not NULL) receives the table's struct_size:
   * service tables grow at the end like this one. The table is static: valid
   * until shutdown, callable from init() on. */
  const void *(*get_service)(const char *name, uint32_t version, size_t *size);
} crm_host_api;

/* True when the host's table includes function `fn` (it is recent enough). */
#define CRM_HOST_HAS(api, fn) ((api)->struct_size >= offsetof(crm_host_api, fn) + sizeof((api)->fn))

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

  /* ---- since ABI 1.4. A definition from an older plugin ends before these
   * fields (its struct_size says so): the host reads them as zero/NULL. ---- */

  /* The event types the plugin emits ("customer.created", ...): n_emits
   * strings. The host's workflow validation knows the event types every
   * loaded plugin declares. Emitting a type not declared here works but logs
   * a warning (once per type). NULL: the plugin declares nothing, and the
   * host accepts whatever it emits without a warning (older plugins). */
  const char *const *emits;
  size_t n_emits;
} crm_plugin_def;

/* The part of crm_plugin_def that ABI 1.0 defined: a smaller struct_size is
 * refused. */
#define CRM_PLUGIN_DEF_SIZE_1_0 offsetof(crm_plugin_def, emits)

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
