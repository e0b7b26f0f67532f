/*
 * plugin_services.h - the named services of crm-host, beyond the core table.
 *
 * The core contract (plugin_abi.h) is what every plugin needs: input, SQL,
 * events, invoke, cache, replies. What only some plugins need, and what is
 * specific to this host's business (access tokens, the audit log, principal
 * data, workflow instance ids), comes as a named, versioned table of function
 * pointers a plugin fetches by name, in the manner of RedisModule_GetApi:
 *
 *   const crm_tokens_service *tokens =
 *       host->get_service(CRM_SERVICE_TOKENS, CRM_SERVICE_TOKENS_VERSION, NULL);
 *   if (!tokens) ... the host has no token service: the plugin does without
 *
 * Same rules as the core table: each table starts with its version and
 * struct_size and only ever grows at the end (check a later function with
 * CRM_SERVICE_HAS); a new major version is a new table under the same name.
 * Everything a service hands out follows the one lifetime rule: valid until
 * the end of the call. get_service() needs ABI 1.4: check
 * CRM_HOST_HAS(host, get_service) first.
 */
#ifndef CRM_PLUGIN_SERVICES_H
#define CRM_PLUGIN_SERVICES_H

#include <crm/plugin_abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when service table `svc` includes function `fn`. */
#define CRM_SERVICE_HAS(svc, fn) ((svc)->struct_size >= offsetof(__typeof__(*(svc)), fn) + sizeof((svc)->fn))

/* ---- "tokens" 1: access tokens signed by the host ---- */
#define CRM_SERVICE_TOKENS "tokens"
#define CRM_SERVICE_TOKENS_VERSION 1u

typedef struct crm_tokens_service {
  uint32_t version;
  uint32_t struct_size;

  /* Signs an access token (JWT) for `subject` carrying the role word `role`,
   * with the host's newest key. A role the host's token verifier would not
   * accept is refused (CRM_E_INTERNAL). *out receives {"accessToken",
   * "tokenType": "Bearer", "expiresIn": seconds, "jti", "expiresAt": unix
   * seconds}. */
  crm_status (*issue_access_token)(crm_call *call, const char *subject, const char *role, const char **out,
                                   size_t *out_len);

  /* Revokes the access token with id `jti` until `expires_at` (unix seconds):
   * every host rejects it from then on. Written at once, outside the call's
   * transaction: a rollback does not bring the token back. */
  crm_status (*revoke_access_token)(crm_call *call, const char *jti, int64_t expires_at);
} crm_tokens_service;

/* ---- "audit" 1: reading the audit log (writing an entry is core: audit()) ---- */
#define CRM_SERVICE_AUDIT "audit"
#define CRM_SERVICE_AUDIT_VERSION 1u

typedef struct crm_audit_service {
  uint32_t version;
  uint32_t struct_size;

  /* filter: a JSON object with optional actorId, resource, action, outcome,
   * from, to (RFC 3339), limit (1..200, default 50) and cursor. *out receives
   * {"items": [...], "nextCursor"}; an item: {id, time, actorId, action,
   * resourceId, outcome, clientIp, requestId, detail}. A bad filter is
   * CRM_E_INVALID with field errors on the call. */
  crm_status (*audit_query)(crm_call *call, const char *filter, size_t len, const char **out, size_t *out_len);
} crm_audit_service;

/* ---- "principals" 1: the principal data the provider (CRM_OP_PRINCIPAL) gives ---- */
#define CRM_SERVICE_PRINCIPALS "principals"
#define CRM_SERVICE_PRINCIPALS_VERSION 1u

typedef struct crm_principals_service {
  uint32_t version;
  uint32_t struct_size;

  /* The principal data of `subject` (NULL: everyone's) changed, e.g. a
   * user's team: every host drops what it cached once this call commits. */
  void (*principal_changed)(crm_call *call, const char *subject);
} crm_principals_service;

/* ---- "workflows" 1: facts about the host's workflow engine ---- */
#define CRM_SERVICE_WORKFLOWS "workflows"
#define CRM_SERVICE_WORKFLOWS_VERSION 1u

typedef struct crm_workflows_service {
  uint32_t version;
  uint32_t struct_size;

  /* The id of the instance that workflow `workflow` gets when event
   * `event_id` (from emit_event()) triggers it: decided by the two names
   * alone, the same on every host and before the event is even published.
   * Writes 36 characters and a NUL into id_out. */
  void (*trigger_instance_id)(const char *workflow, const char *event_id, char id_out[37]);
} crm_workflows_service;

/* ---- "health" 1: what a plugin tells the host's probes and metrics ---- */
#define CRM_SERVICE_HEALTH "health"
#define CRM_SERVICE_HEALTH_VERSION 1u

typedef struct crm_health_service {
  uint32_t version;
  uint32_t struct_size;

  /* The state of something the plugin depends on, named "<plugin>.<part>"
   * (e.g. "payments.provider"): shown among GET /health/ready's checks as
   * "ok" or "down" (with `detail`, may be NULL). A plugin's component is
   * never required: when down, the host is "degraded" and still 200. Callable
   * from any thread, in or outside a call; the last report wins. */
  void (*report)(const char *component, int up, const char *detail);

  /* Sets gauge `name` (a Prometheus name with the plugin's prefix, e.g.
   * "crm_payments_circuit_state") with the label set `labels` (Prometheus
   * text without braces, e.g. "provider=\"simulated\"", or NULL) to `value`,
   * shown on GET /metrics with `help` (the first help given wins). Callable
   * from any thread. */
  void (*gauge)(const char *name, const char *help, const char *labels, double value);

  /* Adds `delta` (>= 0) to counter `name` with `labels`, likewise. */
  void (*count)(const char *name, const char *help, const char *labels, double delta);
} crm_health_service;

#ifdef __cplusplus
}
#endif

#endif /* CRM_PLUGIN_SERVICES_H */
