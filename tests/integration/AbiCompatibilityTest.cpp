// ABI compatibility: plugins built against frozen copies of the published ABI
// 1.0 and 1.3 headers (tests/compat) load into this host and serve a call,
// through the functions and the definition layout of their own version.
#include "support/Checks.hpp"
#include "support/HostUnderTest.hpp"

#include "core/DerivedIds.hpp"

#include <crm/plugin_abi.h>

#include <catch2/catch.hpp>

using namespace itest;

namespace {

Headers as_user() { return {{"Authorization", bearer(mint_token("SALES", random_uuid()))}}; }

} // namespace

TEST_CASE("a plugin built against the ABI 1.0 header loads and serves a call", "[plugins][abi]") {
  HostUnderTest host({"compat_v1_0"});
  auto entry = host.plugin_entry("compat_v1_0.so");
  REQUIRE(entry);
  INFO(json_of(*entry));
  CHECK(text_of(entry, "status") == "LOADED");
  CHECK(text_of(entry, "abi") == "1.0"); // a definition shorter than this host's

  auto r = host.http().post("/api/compat-v1-0/notes", R"({"text":"from 1.0"})", as_user());
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto note = r.json();
  CHECK(text_of(note, "id").size() == 36);
  CHECK(text_of(note, "text") == "from 1.0");
  // The 1.0 invoke(): an operation nobody offers is NOT_FOUND, "no operation <name>".
  auto missing = note->getObject("missing");
  REQUIRE(missing);
  CHECK(missing->getValue<int>("status") == CRM_E_NOT_FOUND);
  CHECK(starts_with(text_of(missing, "message"), "no operation nobody.nothing"));
  CHECK(host.sql().scalar("select count(*) from compat_v1_0.notes") == std::optional<std::string>("1"));
}

TEST_CASE("a plugin built against the ABI 1.3 header loads and uses the entries 1.4 deprecated", "[plugins][abi]") {
  HostUnderTest host({"compat_v1_3"});
  auto entry = host.plugin_entry("compat_v1_3.so");
  REQUIRE(entry);
  INFO(json_of(*entry));
  CHECK(text_of(entry, "status") == "LOADED");
  CHECK(text_of(entry, "abi") == "1.3");

  auto r = host.http().post("/api/compat-v1-3/notes", R"({"text":"from 1.3"})", as_user());
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto note = r.json();
  CHECK(text_of(note, "text") == "from 1.3");
  const std::string event_id = text_of(note, "eventId");
  REQUIRE(event_id.size() == 36);
  CHECK(text_of(note, "instanceId") == crm::core::trigger_instance_id("note_flow", event_id));
  CHECK(text_of(note, "tokenType") == "Bearer");
  auto missing = note->getObject("missing");
  REQUIRE(missing);
  CHECK(missing->getValue<int>("status") == CRM_E_NOT_FOUND);
  CHECK(starts_with(text_of(missing, "message"), "no operation nobody.nothing"));
}
