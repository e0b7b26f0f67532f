// HostApi: the statement filter that keeps transaction and session control
// with the host, and the shape of the API table.
#include "plugins/HostApi.hpp"
#include "plugins/HostServices.hpp"

#include <crm/plugin_services.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>

using crm::plugins::statement_allowed;

TEST_CASE("ordinary statements pass the filter") {
  CHECK(statement_allowed("select 1"));
  CHECK(statement_allowed("  INSERT INTO items (name) VALUES ($1)"));
  CHECK(statement_allowed("with x as (select 1) select * from x"));
  CHECK(statement_allowed("-- comment\nupdate items set name = $1"));
  CHECK(statement_allowed("(select 1) union (select 2)"));
  CHECK(statement_allowed("lock table items in share mode"));
}

TEST_CASE("transaction and session control statements are refused") {
  for (const char* s : {"BEGIN", "commit", "rollback", "savepoint a", "set role postgres", "RESET ROLE",
                        "  /* hide */ set search_path to other", "set local role x", "discard all", "start transaction",
                        "copy items to stdout", "listen x", "end"}) {
    INFO(s);
    CHECK_FALSE(statement_allowed(s));
  }
}

TEST_CASE("an empty statement is refused") {
  CHECK_FALSE(statement_allowed(""));
  CHECK_FALSE(statement_allowed("   -- only a comment"));
}

TEST_CASE("the host API table declares the ABI it implements and every function") {
  const crm_host_api* api = crm::plugins::host_api();
  CHECK(api->abi_version == CRM_ABI_VERSION);
  CHECK(api->struct_size == sizeof(crm_host_api));
  CHECK(api->input);
  CHECK(api->sql);
  CHECK(api->rows_json);
  CHECK(api->emit);
  CHECK(api->invoke);
  CHECK(api->add_error);
}

TEST_CASE("every slot of the host API table is filled, the deprecated ones too") {
  // The table is function pointers after the two version fields: a slot left
  // out of the initializer would be null.
  const crm_host_api* api = crm::plugins::host_api();
  const size_t first = offsetof(crm_host_api, input);
  const size_t slots = (sizeof(crm_host_api) - first) / sizeof(void*);
  REQUIRE(slots == 31);
  for (size_t i = 0; i < slots; ++i) {
    INFO("slot " << i);
    void* fn = nullptr;
    std::memcpy(&fn, reinterpret_cast<const char*>(api) + first + i * sizeof(void*), sizeof fn);
    CHECK(fn != nullptr);
  }
  CHECK(CRM_HOST_HAS(api, invoke_call));
  CHECK(CRM_HOST_HAS(api, get_service));
}

TEST_CASE("get_service finds each named service at its version and nothing else") {
  const crm_host_api* api = crm::plugins::host_api();
  size_t size = 0;
  auto tokens = static_cast<const crm_tokens_service*>(api->get_service(CRM_SERVICE_TOKENS, 1, &size));
  REQUIRE(tokens);
  CHECK(size == sizeof(crm_tokens_service));
  CHECK(tokens->struct_size == sizeof(crm_tokens_service));
  CHECK(tokens->version == 1);
  CHECK(tokens->issue_access_token);
  CHECK(tokens->revoke_access_token);
  // The deprecated core entries and the service are one and the same function.
  CHECK(tokens->issue_access_token == api->issue_access_token);

  auto audit = static_cast<const crm_audit_service*>(api->get_service(CRM_SERVICE_AUDIT, 1, nullptr));
  REQUIRE(audit);
  CHECK(audit->audit_query == api->audit_query);
  auto principals = static_cast<const crm_principals_service*>(api->get_service(CRM_SERVICE_PRINCIPALS, 1, nullptr));
  REQUIRE(principals);
  CHECK(principals->principal_changed == api->principal_changed);
  auto workflows = static_cast<const crm_workflows_service*>(api->get_service(CRM_SERVICE_WORKFLOWS, 1, nullptr));
  REQUIRE(workflows);
  CHECK(workflows->trigger_instance_id == api->trigger_instance_id);

  size = 99;
  CHECK(api->get_service(CRM_SERVICE_TOKENS, 2, &size) == nullptr);
  CHECK(size == 0);
  CHECK(api->get_service("orders", 1, nullptr) == nullptr);
  CHECK(api->get_service(nullptr, 1, nullptr) == nullptr);
}
