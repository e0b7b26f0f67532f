// Tests of crm/sdk/query_schema.hpp: a read's query string, typed once.
#include <crm/sdk/query_schema.hpp>

#include <catch2/catch.hpp>

#include <set>

namespace {
const crm::QuerySchema kSchema = crm::QuerySchema()
                                     .uuid("ownerId")
                                     .text("q", 5)
                                     .choice("status", {"OPEN", "DONE"})
                                     .timestamp("from")
                                     .flag("unread")
                                     .integer("days", 1, 90)
                                     .page_limit();
}

TEST_CASE("declared parameters come back converted", "[sdk][query-schema]") {
  const auto q = kSchema.read(crm::Input(R"({"ownerId": "0B7E5C2A-1F3D-4C55-9A0E-2B9F8D7C6E51", "q": "ac",
      "status": "DONE", "from": "2026-01-31T09:30:00Z", "unread": "true", "days": "30", "limit": "7"})"));
  CHECK(*q.uuid("ownerId") == "0b7e5c2a-1f3d-4c55-9a0e-2b9f8d7c6e51");
  CHECK(*q.text("q") == "ac");
  CHECK(*q.text("status") == "DONE");
  CHECK(*q.text("from") == "2026-01-31T09:30:00Z");
  CHECK(*q.flag("unread"));
  CHECK(*q.integer("days") == 30);
  CHECK(q.limit() == 7);
}

TEST_CASE("absent and blank parameters have no value, and the limit has its default", "[sdk][query-schema]") {
  const auto q = kSchema.read(crm::Input(R"({"q": "  ", "ownerId": "", "other": "ignored"})"));
  CHECK_FALSE(q.text("q"));
  CHECK_FALSE(q.uuid("ownerId"));
  CHECK_FALSE(q.flag("unread"));
  CHECK_FALSE(q.integer("days"));
  CHECK(q.limit() == 50);
}

TEST_CASE("every bad parameter is reported at once, each on its own field", "[sdk][query-schema]") {
  try {
    kSchema.read(crm::Input(R"({"ownerId": "x", "q": "toolong", "status": "open", "from": "yesterday",
        "unread": "perhaps", "days": "91", "limit": "0"})"));
    FAIL("no failure");
  } catch (const crm::Error& e) {
    CHECK(e.status() == CRM_E_INVALID);
    std::set<std::string> fields;
    for (const auto& [field, message] : e.fields()) fields.insert(field);
    CHECK(fields == std::set<std::string>{"ownerId", "q", "status", "from", "unread", "days", "limit"});
  }
}
