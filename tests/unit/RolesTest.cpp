// Roles: parsing operation role declarations and deciding who may call.
#include "plugins/Roles.hpp"

#include <catch2/catch.hpp>

using crm::plugins::Roles;
using crm::security::Principal;

namespace {
Principal user(const char* role) {
  Principal p;
  p.id = "u1";
  p.role = role;
  p.json = "{}";
  return p;
}
} // namespace

TEST_CASE("a role list admits exactly the roles it names") {
  auto r = Roles::parse("ADMIN, MANAGER", nullptr);
  REQUIRE(r);
  CHECK(r->admits(user("ADMIN")));
  CHECK(r->admits(user("MANAGER")));
  CHECK_FALSE(r->admits(user("SALES")));
  CHECK_FALSE(r->admits(Principal::anonymous_caller()));
}

TEST_CASE("'*' admits any authenticated user but not an anonymous caller") {
  auto r = Roles::parse("*", nullptr);
  REQUIRE(r);
  CHECK(r->admits(user("SALES")));
  CHECK_FALSE(r->is_public());
  CHECK_FALSE(r->admits(Principal::anonymous_caller()));
}

TEST_CASE("public operations admit anonymous callers") {
  auto r = Roles::parse("public", nullptr);
  REQUIRE(r);
  CHECK(r->is_public());
  CHECK(r->admits(Principal::anonymous_caller()));
}

TEST_CASE("the host's system principal may call any operation, users may not call system ones") {
  auto r = Roles::parse("system", nullptr);
  REQUIRE(r);
  CHECK(r->admits(Principal::system_caller()));
  CHECK_FALSE(r->admits(user("ADMIN")));
}

TEST_CASE("an unknown role word is refused with the word in the error") {
  std::string error;
  CHECK_FALSE(Roles::parse("ADMIN,ROOT", &error));
  CHECK(error.find("ROOT") != std::string::npos);
  CHECK_FALSE(Roles::parse("", &error));
}

TEST_CASE("the system role has one spelling, and the old SYSTEM is read as it") {
  const Principal& host = Principal::system_caller();
  CHECK(host.role == "system");
  CHECK(host.json.find(R"("role":"system")") != std::string::npos);
  for (const char* spelling : {"system", "SYSTEM"}) {
    INFO(spelling);
    auto r = Roles::parse(spelling, nullptr);
    REQUIRE(r);
    CHECK(r->is_system_only());
    CHECK(r->admits(host));
    CHECK_FALSE(r->admits(user("ADMIN")));
  }
  // A user whose token says "SYSTEM" is not the host.
  CHECK_FALSE(user("SYSTEM").system());
}
