// PluginAbiLayout: the published layout of every struct of plugin_abi.h and
// plugin_services.h, field by field, on x86_64 Linux. A plugin compiled
// against any earlier header reads and fills these structs by offset, so a
// field that moves or changes size breaks every plugin already built: this
// file then stops compiling.
//
// Adding a field at the END of a struct (the only change the ABI allows):
// append a static_assert for its offset below, update that struct's sizeof,
// and note the ABI version in the header's comment. Never edit an existing
// offset; if one fails, the header change is wrong, not this file.
#include <crm/plugin_services.h>

#include <catch2/catch.hpp>

#include <cstddef>

#if defined(__x86_64__) && defined(__linux__)

// crm_operation_def
static_assert(sizeof(crm_operation_def) == 80);
static_assert(offsetof(crm_operation_def, name) == 0);
static_assert(offsetof(crm_operation_def, roles) == 8);
static_assert(offsetof(crm_operation_def, http_method) == 16);
static_assert(offsetof(crm_operation_def, http_path) == 24);
static_assert(offsetof(crm_operation_def, input_schema) == 32);
static_assert(offsetof(crm_operation_def, handler) == 40);
static_assert(offsetof(crm_operation_def, http_status) == 48);
static_assert(offsetof(crm_operation_def, summary) == 56);
static_assert(offsetof(crm_operation_def, flags) == 64);
static_assert(offsetof(crm_operation_def, rate_class) == 72);

// crm_subscription_def
static_assert(sizeof(crm_subscription_def) == 16);
static_assert(offsetof(crm_subscription_def, event_type) == 0);
static_assert(offsetof(crm_subscription_def, operation) == 8);

// crm_schedule_def
static_assert(sizeof(crm_schedule_def) == 16);
static_assert(offsetof(crm_schedule_def, every) == 0);
static_assert(offsetof(crm_schedule_def, operation) == 8);

// crm_migration_def
static_assert(sizeof(crm_migration_def) == 16);
static_assert(offsetof(crm_migration_def, version) == 0);
static_assert(offsetof(crm_migration_def, sql) == 8);

// crm_host_api (ABI 1.0 to invoke_call/get_service of 1.4)
static_assert(sizeof(crm_host_api) == 256);
static_assert(offsetof(crm_host_api, abi_version) == 0);
static_assert(offsetof(crm_host_api, struct_size) == 4);
static_assert(offsetof(crm_host_api, input) == 8);
static_assert(offsetof(crm_host_api, principal) == 16);
static_assert(offsetof(crm_host_api, call_info) == 24);
static_assert(offsetof(crm_host_api, sql) == 32);
static_assert(offsetof(crm_host_api, rows_count) == 40);
static_assert(offsetof(crm_host_api, rows_columns) == 48);
static_assert(offsetof(crm_host_api, rows_column_name) == 56);
static_assert(offsetof(crm_host_api, rows_value) == 64);
static_assert(offsetof(crm_host_api, rows_json) == 72);
static_assert(offsetof(crm_host_api, emit) == 80);
static_assert(offsetof(crm_host_api, invoke) == 88);
static_assert(offsetof(crm_host_api, cache_get) == 96);
static_assert(offsetof(crm_host_api, cache_set) == 104);
static_assert(offsetof(crm_host_api, cache_del) == 112);
static_assert(offsetof(crm_host_api, log) == 120);
static_assert(offsetof(crm_host_api, reply) == 128);
static_assert(offsetof(crm_host_api, fail) == 136);
static_assert(offsetof(crm_host_api, add_error) == 144);
static_assert(offsetof(crm_host_api, issue_access_token) == 152);
static_assert(offsetof(crm_host_api, revoke_access_token) == 160);
static_assert(offsetof(crm_host_api, audit) == 168);
static_assert(offsetof(crm_host_api, audit_query) == 176);
static_assert(offsetof(crm_host_api, commit_on_failure) == 184);
static_assert(offsetof(crm_host_api, counter_add) == 192);
static_assert(offsetof(crm_host_api, counter_reset) == 200);
static_assert(offsetof(crm_host_api, set_header) == 208);
static_assert(offsetof(crm_host_api, principal_changed) == 216);
static_assert(offsetof(crm_host_api, emit_event) == 224);
static_assert(offsetof(crm_host_api, trigger_instance_id) == 232);
static_assert(offsetof(crm_host_api, invoke_call) == 240);
static_assert(offsetof(crm_host_api, get_service) == 248);

// crm_plugin_def
static_assert(sizeof(crm_plugin_def) == 144);
static_assert(offsetof(crm_plugin_def, abi_version) == 0);
static_assert(offsetof(crm_plugin_def, struct_size) == 4);
static_assert(offsetof(crm_plugin_def, operation_size) == 8);
static_assert(offsetof(crm_plugin_def, subscription_size) == 12);
static_assert(offsetof(crm_plugin_def, schedule_size) == 16);
static_assert(offsetof(crm_plugin_def, migration_size) == 20);
static_assert(offsetof(crm_plugin_def, name) == 24);
static_assert(offsetof(crm_plugin_def, version) == 32);
static_assert(offsetof(crm_plugin_def, description) == 40);
static_assert(offsetof(crm_plugin_def, operations) == 48);
static_assert(offsetof(crm_plugin_def, n_operations) == 56);
static_assert(offsetof(crm_plugin_def, subscriptions) == 64);
static_assert(offsetof(crm_plugin_def, n_subscriptions) == 72);
static_assert(offsetof(crm_plugin_def, schedules) == 80);
static_assert(offsetof(crm_plugin_def, n_schedules) == 88);
static_assert(offsetof(crm_plugin_def, migrations) == 96);
static_assert(offsetof(crm_plugin_def, n_migrations) == 104);
static_assert(offsetof(crm_plugin_def, init) == 112);
static_assert(offsetof(crm_plugin_def, shutdown) == 120);
static_assert(offsetof(crm_plugin_def, emits) == 128);
static_assert(offsetof(crm_plugin_def, n_emits) == 136);

// crm_tokens_service
static_assert(sizeof(crm_tokens_service) == 24);
static_assert(offsetof(crm_tokens_service, version) == 0);
static_assert(offsetof(crm_tokens_service, struct_size) == 4);
static_assert(offsetof(crm_tokens_service, issue_access_token) == 8);
static_assert(offsetof(crm_tokens_service, revoke_access_token) == 16);

// crm_audit_service
static_assert(sizeof(crm_audit_service) == 16);
static_assert(offsetof(crm_audit_service, version) == 0);
static_assert(offsetof(crm_audit_service, struct_size) == 4);
static_assert(offsetof(crm_audit_service, audit_query) == 8);

// crm_principals_service
static_assert(sizeof(crm_principals_service) == 16);
static_assert(offsetof(crm_principals_service, version) == 0);
static_assert(offsetof(crm_principals_service, struct_size) == 4);
static_assert(offsetof(crm_principals_service, principal_changed) == 8);

// crm_workflows_service
static_assert(sizeof(crm_workflows_service) == 16);
static_assert(offsetof(crm_workflows_service, version) == 0);
static_assert(offsetof(crm_workflows_service, struct_size) == 4);
static_assert(offsetof(crm_workflows_service, trigger_instance_id) == 8);

// The part of the definition an ABI 1.0 plugin has: the loader accepts no less.
static_assert(CRM_PLUGIN_DEF_SIZE_1_0 == 128);

#endif

TEST_CASE("the ABI version is 1.5 and its status codes keep their numbers") {
  CHECK(CRM_ABI_VERSION == ((1u << 16) | 5u));
  CHECK(CRM_ABI_MAJOR_OF(CRM_ABI_VERSION) == 1u);
  CHECK(CRM_OK == 0);
  CHECK(CRM_E_INVALID == 1);
  CHECK(CRM_E_NOT_FOUND == 2);
  CHECK(CRM_E_CONFLICT == 3);
  CHECK(CRM_E_FORBIDDEN == 4);
  CHECK(CRM_E_UNAVAILABLE == 5);
  CHECK(CRM_E_INTERNAL == 6);
  CHECK(CRM_E_UNAUTHENTICATED == 7);
  CHECK(CRM_E_RATE_LIMITED == 8);
  CHECK(CRM_E_NO_OPERATION == 9);
}
