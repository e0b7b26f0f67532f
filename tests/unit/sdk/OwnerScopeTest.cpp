// Tests of crm/sdk/owner_scope.hpp: whose records a caller sees.
#include <crm/sdk/owner_scope.hpp>

#include <catch2/catch.hpp>

namespace {
const std::string kMe = "0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51";
const std::string kTeammate = "1c8f6d3b-2e4a-4d66-8b1f-3c0a9e8d7f62";
const std::string kStranger = "2d907e4c-3f5b-4e77-9c20-4d1b0f9e8a73";

std::string principal(const std::string& role, const std::string& id = kMe) {
  return R"({"id":")" + id + R"(","role":")" + role + R"(","team":[")" + kTeammate + R"(",5,"not-a-uuid"]})";
}
} // namespace

TEST_CASE("a SALES user sees what it owns and no team", "[sdk][owner-scope]") {
  const auto scope = crm::OwnerScope::of_principal(principal("SALES"));
  CHECK(scope.may_see(kMe));
  CHECK_FALSE(scope.may_see(kTeammate)); // a team in the principal counts for a MANAGER only
  CHECK(*scope.owners_array() == "{" + kMe + "}");
  CHECK(*scope.viewer() == kMe);
}

TEST_CASE("a MANAGER sees its own and its team's, nothing else", "[sdk][owner-scope]") {
  const auto scope = crm::OwnerScope::of_principal(principal("MANAGER"));
  CHECK(scope.may_see(kMe));
  CHECK(scope.may_see(kTeammate));
  CHECK_FALSE(scope.may_see(kStranger));
  CHECK(*scope.owners_array() == "{" + kMe + "," + kTeammate + "}"); // non-UUIDs are left out
}

TEST_CASE("ADMIN and the host see everything, and the host is nobody", "[sdk][owner-scope]") {
  const auto admin = crm::OwnerScope::of_principal(principal("ADMIN"));
  CHECK(admin.may_see(kStranger));
  CHECK_FALSE(admin.owners_array());
  for (const char* spelling : {"system", "SYSTEM"}) {
    const auto host = crm::OwnerScope::of_principal(R"({"id":"system","role":")" + std::string(spelling) + R"("})");
    CHECK(host.is_system());
    CHECK(host.sees_all());
    CHECK(host.user_id().empty());
    CHECK_FALSE(host.viewer());
  }
}

TEST_CASE("an anonymous or unknown caller sees nothing", "[sdk][owner-scope]") {
  const auto nobody = crm::OwnerScope::of_principal(R"({"id":null})");
  CHECK_FALSE(nobody.may_see(kMe));
  CHECK(*nobody.owners_array() == "{}");
  CHECK_FALSE(crm::OwnerScope::of_principal("not json").may_see(kMe));
}

TEST_CASE("the scope reads the same from a parsed principal", "[sdk][owner-scope]") {
  crm::Principal who;
  who.id = "0B7E5C2A-1F3D-4C55-9A0E-2B9F8D7C6E51";
  who.role = "MANAGER";
  who.team = {kTeammate};
  const auto scope = crm::OwnerScope::of(who);
  CHECK(scope.user_id() == kMe); // lower case, as the tables hold it
  CHECK(*scope.owners_array() == "{" + kMe + "," + kTeammate + "}");
}

TEST_CASE("a record goes to the caller unless another holder is named and in scope", "[sdk][owner-scope]") {
  const auto sales = crm::OwnerScope::of_principal(principal("SALES"));
  CHECK(sales.holder_for(std::nullopt, "ownerId") == kMe);
  CHECK(sales.holder_for(kMe, "ownerId") == kMe);
  CHECK_THROWS_MATCHES(sales.holder_for(kTeammate, "ownerId"), crm::Error,
                       Catch::Predicate<crm::Error>([](const crm::Error& e) { return e.status() == CRM_E_FORBIDDEN; }));
  const auto manager = crm::OwnerScope::of_principal(principal("MANAGER"));
  CHECK(manager.holder_for(kTeammate, "ownerId") == kTeammate);
  const auto host = crm::OwnerScope::of_principal(R"({"id":"system","role":"system"})");
  CHECK_THROWS_MATCHES(host.holder_for(std::nullopt, "ownerId"), crm::Error,
                       Catch::Predicate<crm::Error>([](const crm::Error& e) {
                         return e.status() == CRM_E_INVALID && e.fields().at(0).first == "ownerId";
                       }));
}
