// HostApi: the statement filter that keeps transaction and session control
// with the host, and the shape of the API table.
#include "plugins/HostApi.hpp"

#include <catch2/catch.hpp>

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
